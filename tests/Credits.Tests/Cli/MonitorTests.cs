using Credits.Tests.Infrastructure;

namespace Credits.Tests.Cli;

/// <summary><c>credits monitor --once</c> draws one frame from a real server's /api/stats (SQLite).</summary>
public sealed class MonitorTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Monitor_renders_counts_credits_and_the_latest_events()
    {
        await using var server = await LiveServer.StartAsync(db);
        string[] target = ["--url", server.WebhookUrl, "--secret", server.WebhookSecret];
        await CliRun.RunAsync(["send-test-event", "--user", "u_monitor", "--credits", "30", .. target]);
        await CliRun.RunAsync(["send-test-event", "--anonymous", "--credits", "5", "--email", "nobody@example.invalid", .. target]);

        var (exitCode, output) = await CliRun.RunAsync("monitor", "--once", "--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey);

        Assert.True(exitCode == 0, output);
        Assert.Contains("Credits monitor", output);
        Assert.Matches(@"credits granted +reversed +spent +unmatched waiting +failed events", output);
        Assert.Matches(@"\n30 +0 +0 +1 \(oldest \d+ s\) +0 ", output);
        Assert.Matches(@"│ last hour +│ +1 │ +· │ +· │ +1 │", output);
        Assert.Contains("u_monitor", output);
        Assert.Contains("unmatched", output);
    }

    [Fact]
    public async Task Monitor_reads_the_database_directly_without_a_server()
    {
        // A database of its own: the totals asserted by the test above must not see this grant.
        await using var own = new SqliteFixture();
        await using (var server = await LiveServer.StartAsync(own))
        {
            await CliRun.RunAsync("send-test-event", "--user", "u_monitor_db", "--credits", "12", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);
        }

        var (exitCode, output) = await CliRun.RunAsync("monitor", "--once", "--database", "--data-dir", own.DataDirectory);

        Assert.True(exitCode == 0, output);
        Assert.Contains("u_monitor_db", output);
    }

    [Fact]
    public async Task Monitor_without_a_usable_api_key_says_which_flag_to_pass()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync("monitor", "--once", "--url", server.BaseUrl, "--api-key", "not-the-key-0123456789");

        Assert.Equal(1, exitCode);
        Assert.Contains("401", output);
        Assert.Contains("--api-key", output);
    }
}
