using Credits.Tests.Infrastructure;

namespace Credits.Tests.Cli;

/// <summary><c>credits simulate</c> against real servers listening on loopback (SQLite).</summary>
public sealed class SimulateTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    private static readonly string[] Scenarios =
        ["valid grant", "duplicate delivery", "bad signature", "stale timestamp", "unknown user parked", "delayed payment", "refund"];

    [Fact]
    public async Task Simulate_passes_every_scenario_against_a_healthy_server()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync("simulate", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);

        Assert.True(exitCode == 0, output);
        Assert.Contains("7 passed, 0 failed", output);
        foreach (var scenario in Scenarios)
        {
            Assert.Matches($@"│ {scenario} +│ PASS", output);
        }
        var user = System.Text.RegularExpressions.Regex.Match(output, @"Test users: (sim_\w+_grant)").Groups[1].Value;
        Assert.Equal(0, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Simulate_with_the_wrong_secret_reports_the_failing_scenarios_and_exits_non_zero()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync("simulate", "--url", server.WebhookUrl, "--secret", "whsec_a_secret_the_server_does_not_have");

        Assert.Equal(1, exitCode);
        Assert.Matches(@"│ valid grant +│ FAIL +│ 200 granted \+10, balance 10 +│ 400 Invalid Stripe signature", output);
        Assert.Matches(@"│ bad signature +│ PASS", output);
        Assert.Contains("failed: valid grant, duplicate delivery", output);
        var user = System.Text.RegularExpressions.Regex.Match(output, @"Test users: (sim_\w+_grant)").Groups[1].Value;
        Assert.Null(await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Simulate_names_the_unreachable_url()
    {
        var (exitCode, output) = await CliRun.RunAsync("simulate", "--url", "http://127.0.0.1:9/webhooks/stripe", "--secret", "whsec_x");

        Assert.Equal(1, exitCode);
        Assert.Contains("Could not reach http://127.0.0.1:9/webhooks/stripe", output);
    }
}
