using System.CommandLine;
using System.Net.Http.Json;
using Credits.Cli;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Cli;

/// <summary><c>credits users|payments|events</c> against a real server listening on loopback (SQLite), and --help everywhere.</summary>
public sealed class OperatorCommandTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Users_show_prints_the_balance_and_the_ledger_of_a_buyer()
    {
        await using var server = await LiveServer.StartAsync(db);
        await CliRun.RunAsync("send-test-event", "--user", "u_ops_show", "--credits", "40", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);

        var (exitCode, output) = await CliRun.RunAsync("users", "show", "u_ops_show", "--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"balance +40", output);
        Assert.Matches(@"│ \d+ +│ 40 +│ purchase +│ checkout_session", output);
    }

    [Fact]
    public async Task Users_list_shows_accounts_newest_first_and_json_gives_the_raw_answer()
    {
        await using var server = await LiveServer.StartAsync(db);
        foreach (var id in new[] { "u_ops_list_1", "u_ops_list_2" })
        {
            (await server.Client.PutAsJsonAsync($"/api/users/{id}", new { email = $"{id}@example.com" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }
        string[] target = ["--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey];

        var (exitCode, output) = await CliRun.RunAsync(["users", "list", "--limit", "200", .. target]);
        var (jsonExit, json) = await CliRun.RunAsync(["users", "list", "--email", "u_ops_list_1@example.com", "--json", .. target]);

        Assert.Equal((0, 0), (exitCode, jsonExit));
        Assert.Contains("u_ops_list_1@example.com", output);
        Assert.Contains("\"id\": \"u_ops_list_1\"", json);
        Assert.DoesNotContain("u_ops_list_2", json);
    }

    [Fact]
    public async Task An_unknown_user_is_a_clear_error_with_a_non_zero_exit()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync("users", "show", "u_nobody", "--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey);

        Assert.Equal(1, exitCode);
        Assert.Contains("404", output);
        Assert.Contains("No user 'u_nobody'", output);
    }

    [Fact]
    public async Task Payments_unmatched_lists_a_parked_payment_and_assign_grants_it_once()
    {
        await using var server = await LiveServer.StartAsync(db);
        var (_, sent) = await CliRun.RunAsync("send-test-event", "--anonymous", "--credits", "25", "--email", "lost@example.invalid",
            "--url", server.WebhookUrl, "--secret", server.WebhookSecret);
        var session = System.Text.RegularExpressions.Regex.Match(sent, @"session (cs_test_\w+)").Groups[1].Value;
        string[] target = ["--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey];

        var (listExit, list) = await CliRun.RunAsync(["payments", "unmatched", .. target]);
        var (assignExit, assign) = await CliRun.RunAsync(["payments", "assign", session, "--user", "u_ops_assign", .. target]);
        var (againExit, again) = await CliRun.RunAsync(["payments", "assign", session, "--user", "u_ops_assign", .. target]);
        var (_, after) = await CliRun.RunAsync(["payments", "unmatched", .. target]);

        Assert.Equal((0, 0, 0), (listExit, assignExit, againExit));
        Assert.Contains(session, list);
        Assert.Contains("lost@example.invalid", list);
        Assert.Matches(@"status +granted", assign);
        Assert.Matches(@"status +duplicate", again);
        Assert.DoesNotContain(session, after);
        Assert.Equal(25, await server.BalanceAsync("u_ops_assign"));
    }

    [Fact]
    public async Task Events_list_show_and_replay_a_stored_delivery()
    {
        await using var server = await LiveServer.StartAsync(db);
        var (_, sent) = await CliRun.RunAsync("send-test-event", "--user", "u_ops_events", "--credits", "15", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);
        var eventId = System.Text.RegularExpressions.Regex.Match(sent, @"(evt_test_\w+)").Groups[1].Value;
        string[] target = ["--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey];

        var (listExit, list) = await CliRun.RunAsync(["events", "list", "--status", "granted", .. target]);
        var (showExit, show) = await CliRun.RunAsync(["events", "show", eventId, .. target]);
        var (replayExit, replay) = await CliRun.RunAsync(["events", "replay", eventId, .. target]);

        Assert.Equal((0, 0, 0), (listExit, showExit, replayExit));
        Assert.Contains(eventId, list);
        Assert.Matches(@"type +checkout.session.completed", show);
        Assert.Contains("\"user_id\": \"u_ops_events\"", show);
        Assert.Matches(@"status +duplicate", replay);
        Assert.Equal(15, await server.BalanceAsync("u_ops_events"));
    }

    [Fact]
    public async Task Every_command_explains_itself_with_an_example()
    {
        foreach (var path in Commands(CreditsCommands.Create(), []))
        {
            var (exitCode, output) = await CliRun.RunAsync([.. path, "--help"]);

            Assert.Equal(0, exitCode);
            Assert.Contains("Example", output);
        }
    }

    private static IEnumerable<string[]> Commands(Command command, string[] path)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] subPath = [.. path, sub.Name];
            yield return subPath;
            foreach (var deeper in Commands(sub, subPath))
            {
                yield return deeper;
            }
        }
    }
}
