using Credits.Tests.Infrastructure;

namespace Credits.Tests.Cli;

/// <summary><c>credits send-test-event</c> against a real server listening on loopback (SQLite).</summary>
public sealed class SendTestEventTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Send_test_event_grants_the_credits_and_prints_the_answer()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync(
            "send-test-event", "--user", "u_cli_send", "--credits", "50", "--url", server.WebhookUrl, "--secret", server.WebhookSecret);

        Assert.Equal(0, exitCode);
        Assert.Contains("\"status\": \"granted\"", output);
        Assert.Contains("\"credits_added\": 50", output);
        Assert.Equal(50, await server.BalanceAsync("u_cli_send"));
    }

    [Fact]
    public async Task Unpaid_checkout_then_its_async_success_grants_once()
    {
        await using var server = await LiveServer.StartAsync(db);
        string[] common = ["--user", "u_cli_async", "--credits", "20", "--url", server.WebhookUrl, "--secret", server.WebhookSecret];

        var (unpaidExit, unpaid) = await CliRun.RunAsync(["send-test-event", "--kind", "completed-unpaid", "--session", "cs_test_cli_async", .. common]);
        var (paidExit, paid) = await CliRun.RunAsync(["send-test-event", "--kind", "async-succeeded", "--session", "cs_test_cli_async", .. common]);

        Assert.Equal((0, 0), (unpaidExit, paidExit));
        Assert.Contains("\"status\": \"pending\"", unpaid);
        Assert.Contains("\"status\": \"granted\"", paid);
        Assert.Equal(20, await server.BalanceAsync("u_cli_async"));
    }

    [Fact]
    public async Task A_refund_of_the_printed_payment_intent_takes_back_its_share_of_the_credits()
    {
        await using var server = await LiveServer.StartAsync(db);
        string[] target = ["--url", server.WebhookUrl, "--secret", server.WebhookSecret];
        var (_, purchase) = await CliRun.RunAsync(["send-test-event", "--user", "u_cli_refund", "--credits", "40", "--amount", "500", .. target]);
        var paymentIntent = System.Text.RegularExpressions.Regex.Match(purchase, @"payment_intent (pi_test_\w+)").Groups[1].Value;

        var (exitCode, refund) = await CliRun.RunAsync(
            ["send-test-event", "--kind", "refund", "--payment-intent", paymentIntent, "--amount", "500", "--refunded", "250", .. target]);

        Assert.True(exitCode == 0, refund);
        Assert.Contains("\"status\": \"reversed\"", refund);
        Assert.Contains("\"credits_added\": -20", refund);
        Assert.Equal(20, await server.BalanceAsync("u_cli_refund"));
    }

    [Fact]
    public async Task A_dispute_of_the_printed_payment_intent_takes_back_the_purchase()
    {
        await using var server = await LiveServer.StartAsync(db);
        string[] target = ["--url", server.WebhookUrl, "--secret", server.WebhookSecret];
        var (_, purchase) = await CliRun.RunAsync(["send-test-event", "--user", "u_cli_dispute", "--credits", "40", .. target]);
        var paymentIntent = System.Text.RegularExpressions.Regex.Match(purchase, @"payment_intent (pi_test_\w+)").Groups[1].Value;

        var (exitCode, dispute) = await CliRun.RunAsync(["send-test-event", "--kind", "dispute", "--payment-intent", paymentIntent, .. target]);

        Assert.True(exitCode == 0, dispute);
        Assert.Contains("\"status\": \"reversed\"", dispute);
        Assert.Equal(0, await server.BalanceAsync("u_cli_dispute"));
    }

    [Fact]
    public async Task A_refused_event_exits_non_zero_and_grants_nothing()
    {
        await using var server = await LiveServer.StartAsync(db);

        var (exitCode, output) = await CliRun.RunAsync(
            "send-test-event", "--user", "u_cli_refused", "--credits", "50", "--url", server.WebhookUrl, "--secret", "whsec_not_the_servers_secret");

        Assert.Equal(1, exitCode);
        Assert.Contains("400", output);
        Assert.Contains("Invalid Stripe signature", output);
        Assert.Null(await server.BalanceAsync("u_cli_refused"));
    }

    [Theory]
    [InlineData("--credits", "0", "--credits must be between 1")]
    [InlineData("--url", "not-a-url", "--url 'not-a-url' is not an absolute")]
    [InlineData("--secret", "sk_test_123", "--secret must be a Stripe signing secret")]
    [InlineData("--kind", "payout", "payout")]
    public async Task A_bad_flag_is_named_in_the_error(string flag, string value, string message)
    {
        var (exitCode, output) = await CliRun.RunAsync("send-test-event", flag, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, output);
    }

    [Fact]
    public async Task Help_explains_the_command_with_an_example()
    {
        var (exitCode, output) = await CliRun.RunAsync("send-test-event", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("credits send-test-event --user u_123 --credits 50", output);
        Assert.Contains("--payment-intent", output);
    }
}
