using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Deploy;

/// <summary>
/// The container image without Docker: the Dockerfile's own build commands publish the server
/// (<see cref="DockerImageBuild"/>), and the result is started the way the image starts it — its
/// CMD found on its PATH, its ENV, PORT set by the platform — then probed and sent a signed webhook.
/// </summary>
public sealed class DockerfileTests(DockerImageBuild image, PostgresFixture postgres) : IClassFixture<DockerImageBuild>, IClassFixture<PostgresFixture>
{
    [Fact]
    public void Image_is_built_with_the_SDK_and_runs_on_the_ASP_NET_runtime_as_a_non_root_user()
    {
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", image.Dockerfile.Build.Image);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", image.Dockerfile.Runtime.Image);
        var user = Assert.Single(image.Dockerfile.Runtime.All("USER"));
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        Assert.Equal(["credits", "serve"], image.Dockerfile.Runtime.Command());
        Assert.Contains(image.Dockerfile.Build.All("RUN"), run => run.StartsWith("dotnet publish ", StringComparison.Ordinal) && run.Contains("-c Release", StringComparison.Ordinal));
        Assert.Equal(image.Dockerfile.Build.All("RUN"), image.Ran);

        // The SQLite case: the data folder is a volume, so the database and secrets outlive the container.
        var volume = Assert.Single(image.Dockerfile.Runtime.All("VOLUME"));
        Assert.Equal(image.Environment["CREDITS_DATA_DIR"], volume);
        Assert.Equal(image.Environment["PORT"], Assert.Single(image.Dockerfile.Runtime.All("EXPOSE")));
    }

    [Fact]
    public void Build_context_leaves_out_build_output_and_the_data_folder()
    {
        var context = Directory.EnumerateFileSystemEntries(image.BuildHost("/src"), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(image.BuildHost("/src"), p).Replace('\\', '/'))
            .ToList();
        Assert.Contains("src/Credits/Credits.csproj", context);
        // What the publish wrote itself is in obj/ and bin/ of the copy; nothing was copied from the working tree's.
        Assert.DoesNotContain(context, p => p.Split('/').Contains("data") || p.EndsWith(".db", StringComparison.Ordinal));
        Assert.DoesNotContain(context, p => p.StartsWith("tests/", StringComparison.Ordinal) || p.StartsWith("bench/", StringComparison.Ordinal));

        var published = image.Host("/app");
        Assert.True(File.Exists(Path.Combine(published, "appsettings.json")), "appsettings.json (the packs) ships in the image");
        var runtimeConfig = File.ReadAllText(Path.Combine(published, "credits.runtimeconfig.json"));
        Assert.Contains("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", runtimeConfig);
        Assert.Equal(Path.Combine(published, "credits"), image.Which("credits"));
    }

    [Fact]
    public async Task The_image_listens_on_PORT_on_every_interface_is_ready_and_grants_a_signed_webhook()
    {
        var port = ServerProcess.FreePort();
        var environment = image.ProcessEnvironment();
        environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        var command = image.Dockerfile.Runtime.Command();
        var executable = image.Which(command[0]) ?? throw new InvalidOperationException($"{command[0]} is not on the image's PATH {image.Environment["PATH"]}");

        await using var server = await ServerProcess.LaunchAsync(executable, command[1..], environment, port);
        var user = StripeEvents.NewId("u_image");
        using var delivery = await server.PostEventAsync(StripeEvents.Paid(user, 50), TestContext.Current.CancellationToken);
        var body = await delivery.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var account = await server.Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(50, account.GetProperty("balance").GetInt64());
        Assert.Contains($"listening on http://0.0.0.0:{port}", server.Output);
        Assert.True(ListensOnAllInterfaces(port), $"nothing listens on 0.0.0.0:{port}:\n{server.Output}");
        Assert.True(File.Exists(Path.Combine(image.Host(image.Environment["CREDITS_DATA_DIR"]), "credits.db")), "the SQLite database is in the volume");
        TestContext.Current.SendDiagnosticMessage($"image build (the Dockerfile's RUN lines): {image.BuildTime.TotalSeconds:F0} s");
    }

    [Fact]
    public async Task Render_pre_deploy_command_migrates_PostgreSQL_with_the_image_s_credits()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var preDeploy = RenderBlueprintTests.WebService()["preDeployCommand"].ToString().Split(' ');
        var executable = image.Which(preDeploy[0]) ?? throw new InvalidOperationException($"{preDeploy[0]} is not on the image's PATH");
        var info = new ProcessStartInfo(executable, preDeploy[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in image.ProcessEnvironment())
        {
            info.Environment[name] = value;
        }
        info.Environment["DATABASE_URL"] = postgres.DatabaseUrl;
        info.Environment.Remove("STRIPE_WEBHOOK_SECRET");
        info.Environment.Remove("CREDITS_API_KEY");

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, $"{string.Join(' ', preDeploy)} exited {process.ExitCode}:\n{output}");
        await using var database = new LedgerDatabase(postgres.Settings());
        Assert.True(await database.IsSchemaCurrentAsync(TestContext.Current.CancellationToken), output);
    }

    /// <summary>A listening socket (state 0A) bound to 0.0.0.0 in /proc/net/tcp: the platform's router can reach it.</summary>
    public static bool ListensOnAllInterfaces(int port) =>
        File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f[1] == $"00000000:{port:X4}" && f[3] == "0A");
}
