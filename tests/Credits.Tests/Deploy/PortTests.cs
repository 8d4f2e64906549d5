using System.Diagnostics;
using System.Globalization;
using System.Net;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Deploy;

/// <summary>PORT, as Render, Heroku, Fly and Cloud Run set it, on the real `credits serve` process.</summary>
public sealed class PortTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task PORT_without_urls_listens_on_every_interface()
    {
        var port = ServerProcess.FreePort();
        await using var server = await ServerProcess.LaunchAsync("dotnet", [CreditsDll.Path, "serve"], Environment(port), port);

        using var ready = await server.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains($"listening on http://0.0.0.0:{port}", server.Output);
        Assert.True(DockerfileTests.ListensOnAllInterfaces(port), server.Output);
    }

    [Fact]
    public async Task Urls_wins_over_PORT()
    {
        var port = ServerProcess.FreePort();
        var ignored = ServerProcess.FreePort();
        await using var server = await ServerProcess.LaunchAsync(
            "dotnet", [CreditsDll.Path, "serve", "--urls", $"http://127.0.0.1:{port}"], Environment(ignored), port);

        Assert.Contains($"listening on http://127.0.0.1:{port}", server.Output);
        Assert.False(DockerfileTests.ListensOnAllInterfaces(ignored), $"PORT {ignored} was used although --urls was given");
    }

    [Fact]
    public async Task A_PORT_that_is_not_a_number_stops_start_up_naming_it()
    {
        var info = new ProcessStartInfo("dotnet", [CreditsDll.Path, "serve"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in Environment(0))
        {
            info.Environment[name] = value;
        }
        info.Environment["PORT"] = "http";
        info.Environment["STRIPE_WEBHOOK_SECRET"] = CreditsServer.WebhookSecret;
        info.Environment["CREDITS_API_KEY"] = CreditsServer.ApiKey;
        info.Environment.Remove("DATABASE_URL");

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("PORT 'http' is not a port number", output);
        Assert.DoesNotContain("listening on", output);
    }

    private Dictionary<string, string?> Environment(int port) => new()
    {
        ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["CREDITS_DATA_DIR"] = db.DataDirectory,
    };
}
