using System.Diagnostics;
using System.Globalization;
using Credits.Tests.Infrastructure;
using Npgsql;

namespace Credits.Tests.Ledger;

/// <summary>
/// The server started on the throwaway PostgreSQL with each platform form's parameters (its host,
/// port and user replaced by the test server's; TLS asked for as "prefer", as the local server has
/// none), and the start-up error a bad DATABASE_URL gives `serve` and `migrate`.
/// </summary>
public sealed class DatabaseUrlServerTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("neon")]
    [InlineData("neon-pooled")]
    [InlineData("render-internal")]
    [InlineData("render-external")]
    [InlineData("supabase")]
    [InlineData("supabase-pooler")]
    [InlineData("heroku")]
    [InlineData("railway")]
    [InlineData("railway-public")]
    [InlineData("fly")]
    public async Task The_server_runs_on_each_platform_forms_parameters(string form)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var url = Local(PlatformUrls.Forms[form]) + "&application_name=credits-" + form;
        await using var server = await CreditsServer.StartAsync(db, s => s["DATABASE_URL"] = url);
        var user = StripeEvents.NewId("u_" + form);

        await server.DeliverAsync(StripeEvents.Paid(user, 42));

        Assert.Equal(42, await server.BalanceAsync(user));
        Assert.Equal("credits-" + form, await server.ScalarAsync<string>("SELECT current_setting('application_name')"));
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("migrate")]
    public async Task An_unknown_parameter_stops_the_command_with_one_sentence_naming_it(string command)
    {
        var url = "postgresql://u:p@127.0.0.1:1/db?sslmode=disable&application_name=credits&connect_timeout=10&statement_cache=off";
        var (exitCode, output) = await RunCreditsAsync(command, url);

        Assert.Equal(2, exitCode);
        Assert.Equal("error: DATABASE_URL has an unknown parameter 'statement_cache'; remove it, or see docs/database.md for the parameters Credits understands.",
            output.Trim());
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("serve")]
    public async Task An_unreachable_database_stops_the_command_with_one_line(string command)
    {
        var (exitCode, output) = await RunCreditsAsync(command, "postgresql://u@127.0.0.1:1/db?connect_timeout=3");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: PostgreSQL 127.0.0.1:1/db: ", output, StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
    }

    /// <summary>The form's parameters on the test server's host, port, user and database.</summary>
    private string Local(string form)
    {
        var server = new NpgsqlConnectionStringBuilder(db.DatabaseUrl);
        var query = form.Contains('?', StringComparison.Ordinal) ? form[(form.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        query = query.Replace("sslmode=require", "sslmode=prefer", StringComparison.Ordinal)
            .Replace("channel_binding=require", "channel_binding=prefer", StringComparison.Ordinal);
        return $"postgres://{server.Username}@{server.Host}:{server.Port.ToString(CultureInfo.InvariantCulture)}/{server.Database}?connect_timeout=5{(query.Length > 0 ? "&" + query : "")}";
    }

    private static async Task<(int ExitCode, string Output)> RunCreditsAsync(string command, string databaseUrl)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CreditsDll.Path);
        info.ArgumentList.Add(command);
        info.Environment["DATABASE_URL"] = databaseUrl;
        info.Environment["CREDITS_DATA_DIR"] = Path.Combine(Path.GetTempPath(), "credits-url-" + Guid.NewGuid().ToString("N"));
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
