using System.Net.Http.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Cli;

/// <summary><c>credits payments reassign</c> and <c>credits users transfer</c> against a real server on loopback (SQLite).</summary>
public sealed class MoveCommandTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Payments_reassign_moves_a_wrong_grant_and_users_transfer_moves_credits_then_verify_passes()
    {
        await using var server = await LiveServer.StartAsync(db);
        string[] target = ["--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey];
        var (_, sent) = await CliRun.RunAsync("send-test-event", "--user", "u_cli_wrong", "--credits", "50", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);
        var session = System.Text.RegularExpressions.Regex.Match(sent, @"session (cs_test_\w+)").Groups[1].Value;
        (await server.Client.PutAsJsonAsync("/api/users/u_cli_right", new { email = (string?)null }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var (reassignExit, reassigned) = await CliRun.RunAsync(["payments", "reassign", session, "--to", "u_cli_right", "--reason", "stale login", .. target]);
        var (transferExit, transferred) = await CliRun.RunAsync(["users", "transfer", "u_cli_right", "u_cli_wrong", "40", "--reason", "split", .. target]);
        var (shortExit, refused) = await CliRun.RunAsync(["users", "transfer", "u_cli_right", "u_cli_wrong", "40", "--reason", "again", .. target]);

        Assert.True(reassignExit == 0, reassigned);
        Assert.Matches(@"status +reassigned", reassigned);
        Assert.True(transferExit == 0, transferred);
        Assert.Matches(@"to balance +40", transferred);
        Assert.Equal(1, shortExit);
        Assert.Contains("402", refused);
        Assert.Equal(10, await server.BalanceAsync("u_cli_right"));
        Assert.Equal(40, await server.BalanceAsync("u_cli_wrong"));
        var (verifyExit, report) = await CliRunner.RunAsync(db, null, "verify");
        Assert.True(verifyExit == 0, report);
    }
}
