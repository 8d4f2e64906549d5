using System.Net;
using System.Text.Json;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Api;

public sealed class SqliteMovesTests(SqliteFixture db) : MovesTests<SqliteFixture>(db);

public sealed class PostgresMovesTests(PostgresFixture db) : MovesTests<PostgresFixture>(db);

/// <summary>
/// Fixing credits that landed on the wrong account: reassigning a granted purchase and transferring
/// credits, each a pair of ledger rows in one transaction. Each scenario ends with `credits verify` passing.
/// </summary>
public abstract class MovesTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string User() => StripeEvents.NewId("u");

    private async Task AssertVerifiedAsync()
    {
        var (exitCode, report) = await CliRunner.RunAsync(db, null, "verify");
        Assert.True(exitCode == 0, report);
    }

    private static Task<HttpResponseMessage> ReassignAsync(CreditsServer server, string sessionId, string user, string? key, string reason = "paid from a stale login") =>
        server.PostJsonAsync($"/api/payments/{sessionId}/reassign", JsonSerializer.Serialize(new { user_id = user, reason }), key);

    private static Task<HttpResponseMessage> TransferAsync(CreditsServer server, string from, string to, long credits, string? key, string reason = "merge accounts") =>
        server.PostJsonAsync($"/api/users/{from}/transfers", JsonSerializer.Serialize(new { to_user_id = to, credits, reason }), key);

    /// <summary>A purchase of 50 credits granted to a freshly made wrong account; returns (session, payment intent, wrong, right).</summary>
    private static async Task<(string SessionId, string PaymentIntent, string Wrong, string Right)> WrongGrantAsync(CreditsServer server, string? customer = null)
    {
        var (wrong, right) = (User(), User());
        (await server.PutUserAsync(right, null)).EnsureSuccessStatusCode();
        var session = StripeEvents.CheckoutSession(userId: wrong, credits: 50, amountTotal: 500, customer: customer);
        Assert.Equal("granted", (await server.DeliverAsync(StripeEvents.Completed(session))).GetProperty("status").GetString());
        return ((string)session["id"]!, (string)session["payment_intent"]!, wrong, right);
    }

    [Fact]
    public async Task A_wrong_grant_is_moved_as_a_pair_of_ledger_rows_and_the_customer_link_follows()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var customer = StripeEvents.NewId("cus");
        var (sessionId, _, wrong, right) = await WrongGrantAsync(server, customer);

        var moved = await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix-1"));

        Assert.Equal("reassigned", moved.GetProperty("status").GetString());
        Assert.Equal(50, moved.GetProperty("credits").GetInt64());
        Assert.Equal(0, moved.GetProperty("from_balance").GetInt64());
        Assert.Equal(50, moved.GetProperty("balance").GetInt64());
        Assert.Equal(0, await server.BalanceAsync(wrong));
        Assert.Equal(50, await server.BalanceAsync(right));
        var rows = (await server.Database.ReadAsync(c => c.QueryAsync<(string AccountId, long Amount, string SourceKind, string SourceId)>(new CommandDefinition(
            "SELECT account_id, amount, source_kind, source_id FROM ledger_entries WHERE source_kind LIKE 'reassign%' AND reason LIKE @like ORDER BY amount",
            new { like = $"%{sessionId}%" }, cancellationToken: TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken)).ToList();
        Assert.Equal([(wrong, -50L, "reassign_out"), (right, 50L, "reassign_in")], rows.Select(r => (r.AccountId, r.Amount, r.SourceKind)));
        Assert.Equal(rows[0].SourceId, rows[1].SourceId);
        Assert.Equal(right, await server.ScalarAsync<string>("SELECT account_id FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
        Assert.Equal(right, await server.ScalarAsync<string>("SELECT account_id FROM stripe_customers WHERE customer_id = @customer", new { customer }));

        // The same key replays; the same key with another target is refused; the current owner is a duplicate.
        var replay = await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix-1"));
        Assert.Equal("reassigned", replay.GetProperty("status").GetString());
        await server.ExpectAsync(HttpStatusCode.Conflict, ReassignAsync(server, sessionId, wrong, "fix-1"));
        var again = await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix-2"));
        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(right));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task The_old_account_goes_negative_when_it_had_spent_some_and_the_answer_says_so()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (sessionId, _, wrong, right) = await WrongGrantAsync(server);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(wrong, 20, "spend-1"));

        var moved = await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix"));

        Assert.Equal(-20, moved.GetProperty("from_balance").GetInt64());
        Assert.Equal(50, moved.GetProperty("balance").GetInt64());
        Assert.Contains("negative", moved.GetProperty("detail").GetString());
        Assert.Equal(-20, await server.BalanceAsync(wrong));
        Assert.Equal(50, await server.BalanceAsync(right));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(wrong, 1, "spend-2"));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_refund_after_the_move_takes_from_the_new_account_and_only_the_rest_moves_after_a_refund()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (sessionId, paymentIntent, wrong, right) = await WrongGrantAsync(server);
        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, amount: 500, amountRefunded: 100));
        Assert.Equal(40, await server.BalanceAsync(wrong));

        var moved = await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix"));
        Assert.Equal(40, moved.GetProperty("credits").GetInt64());

        var refund = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, amount: 500, amountRefunded: 300, previouslyRefunded: 100));

        Assert.Equal(right, refund.GetProperty("user_id").GetString());
        Assert.Equal(0, await server.BalanceAsync(wrong));
        Assert.Equal(20, await server.BalanceAsync(right));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_won_dispute_on_a_reassigned_purchase_gives_the_credits_back_to_its_moved_lot()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (sessionId, paymentIntent, _, right) = await WrongGrantAsync(server);
        await server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, "fix"));
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(right, 30, "bonus"));
        var dispute = StripeEvents.NewId("dp");

        await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.created", paymentIntent, 500, "needs_response", dispute));
        Assert.Equal(30, await server.BalanceAsync(right));
        await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.closed", paymentIntent, 500, "won", dispute));

        Assert.Equal(80, await server.BalanceAsync(right));
        var lots = (await server.Database.ReadAsync(c => c.QueryAsync<(string, long, long)>(new CommandDefinition(
            "SELECT source_kind, granted, remaining FROM credit_lots WHERE account_id = @right ORDER BY id", new { right },
            cancellationToken: TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken)).ToList();
        Assert.Equal([("reassign_in", 50L, 50L), ("grant", 30L, 30L)], lots);
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Two_reassignments_at_once_move_the_purchase_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (sessionId, _, wrong, right) = await WrongGrantAsync(server);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => server.ExpectAsync(HttpStatusCode.OK, ReassignAsync(server, sessionId, right, $"race-{i}"))));

        Assert.Single(answers, a => a.GetProperty("status").GetString() == "reassigned");
        Assert.Equal(5, answers.Count(a => a.GetProperty("status").GetString() == "duplicate"));
        Assert.Equal(0, await server.BalanceAsync(wrong));
        Assert.Equal(50, await server.BalanceAsync(right));
        Assert.Equal(2, await server.ScalarAsync<long>(
            "SELECT COUNT(*) FROM ledger_entries WHERE source_kind LIKE 'reassign%' AND account_id IN (@wrong, @right)", new { wrong, right }));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Reassign_refuses_parked_payments_unknown_targets_and_unknown_sessions_and_changes_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var parked = StripeEvents.CheckoutSession(credits: 10, email: $"{User()}@nobody.example");
        await server.DeliverAsync(StripeEvents.Completed(parked));
        var (sessionId, _, wrong, right) = await WrongGrantAsync(server);

        var useAssign = await server.ExpectAsync(HttpStatusCode.Conflict, ReassignAsync(server, (string)parked["id"]!, right, "k1"));
        Assert.Contains("use assign", useAssign.GetProperty("detail").GetString());
        await server.ExpectAsync(HttpStatusCode.NotFound, ReassignAsync(server, sessionId, User(), "k2"));
        await server.ExpectAsync(HttpStatusCode.NotFound, ReassignAsync(server, "cs_test_nobody", right, "k3"));
        await server.ExpectAsync(HttpStatusCode.BadRequest, ReassignAsync(server, sessionId, right, null));
        await server.ExpectAsync(HttpStatusCode.BadRequest, ReassignAsync(server, sessionId, right, "k4", reason: " "));

        Assert.Equal(50, await server.BalanceAsync(wrong));
        Assert.Equal(0, await server.BalanceAsync(right));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM payment_reassignments WHERE session_id = @sessionId", new { sessionId }));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_transfer_moves_credits_in_one_pair_and_its_key_replays()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var from = await server.UserWithAsync(100);
        var to = await server.UserWithAsync(0);

        var moved = await server.ExpectAsync(HttpStatusCode.OK, TransferAsync(server, from, to, 40, "t-1"));

        Assert.Equal(60, moved.GetProperty("balance").GetInt64());
        Assert.Equal(40, moved.GetProperty("to_balance").GetInt64());
        Assert.Equal(60, await server.BalanceAsync(from));
        Assert.Equal(40, await server.BalanceAsync(to));
        var replay = await server.ExpectAsync(HttpStatusCode.OK, TransferAsync(server, from, to, 40, "t-1"));
        Assert.Equal(moved.GetProperty("entry_id").GetInt64(), replay.GetProperty("entry_id").GetInt64());
        await server.ExpectAsync(HttpStatusCode.Conflict, TransferAsync(server, from, to, 41, "t-1"));
        Assert.Equal(60, await server.BalanceAsync(from));
        Assert.Equal(40, await server.BalanceAsync(to));
        var rows = (await server.Database.ReadAsync(c => c.QueryAsync<(string AccountId, long Amount)>(new CommandDefinition(
            "SELECT account_id, amount FROM ledger_entries WHERE source_kind LIKE 'transfer%' AND account_id IN (@from, @to) ORDER BY amount",
            new { from, to }, cancellationToken: TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken)).ToList();
        Assert.Equal([(from, -40L), (to, 40L)], rows);
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_transfer_never_overdraws_and_needs_both_accounts()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var from = await server.UserWithAsync(10);
        var to = await server.UserWithAsync(0);

        var short_ = await server.ExpectAsync(HttpStatusCode.PaymentRequired, TransferAsync(server, from, to, 11, "t-1"));
        Assert.Equal(10, short_.GetProperty("available").GetInt64());
        await server.ExpectAsync(HttpStatusCode.NotFound, TransferAsync(server, from, User(), 5, "t-2"));
        await server.ExpectAsync(HttpStatusCode.NotFound, TransferAsync(server, User(), to, 5, "t-3"));
        await server.ExpectAsync(HttpStatusCode.BadRequest, TransferAsync(server, from, from, 5, "t-4"));
        await server.ExpectAsync(HttpStatusCode.BadRequest, TransferAsync(server, from, to, 5, null));
        await server.ExpectAsync(HttpStatusCode.BadRequest, TransferAsync(server, from, to, 0, "t-5"));

        Assert.Equal(10, await server.BalanceAsync(from));
        Assert.Equal(0, await server.BalanceAsync(to));
        // The refused key is free again.
        await server.ExpectAsync(HttpStatusCode.OK, TransferAsync(server, from, to, 10, "t-1"));
        Assert.Equal(0, await server.BalanceAsync(from));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Fifty_transfers_at_once_against_a_balance_of_ten_move_exactly_ten()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var from = await server.UserWithAsync(10);
        var to = await server.UserWithAsync(0);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => TransferAsync(server, from, to, 1, $"race-{i}")));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(40, responses.Count(r => r.StatusCode == HttpStatusCode.PaymentRequired));
        Assert.Equal(0, await server.BalanceAsync(from));
        Assert.Equal(10, await server.BalanceAsync(to));
        await server.AssertConsistentAsync(from);
        await server.AssertConsistentAsync(to);
        await AssertVerifiedAsync();
    }
}
