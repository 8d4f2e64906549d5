using System.Net;
using System.Text.Json;
using Credits.Reconciliation;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Reconciliation;

public sealed class SqliteMoveVerifyTests(SqliteFixture db) : MoveVerifyTests<SqliteFixture>(db);

public sealed class PostgresMoveVerifyTests(PostgresFixture db) : MoveVerifyTests<PostgresFixture>(db);

/// <summary>`credits verify` holds after reassignments and transfers, and finds a move pair or a purchase owner that a direct write broke.</summary>
public abstract class MoveVerifyTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task TamperAsync(CreditsServer server, string sql, object args) =>
        server.Database.ReadAsync(c => c.ExecuteAsync(sql, args), Cancel);

    private static async Task<LedgerCheckResult> CheckAsync(CreditsServer server, string name) =>
        Assert.Single(await new LedgerVerifier(server.Database).RunAsync(Cancel), r => r.Check.Name == name);

    [Fact]
    public async Task Verify_catches_a_transfer_whose_pair_does_not_add_to_zero()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var from = await server.UserWithAsync(30);
        var to = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, server.PostJsonAsync($"/api/users/{from}/transfers",
            JsonSerializer.Serialize(new { to_user_id = to, credits = 10, reason = "merge" }), "t-verify"));
        Assert.True((await CheckAsync(server, "move pairs")).Holds);

        await TamperAsync(server, "UPDATE ledger_entries SET amount = 12 WHERE source_kind = 'transfer_in' AND account_id = @to", new { to });
        try
        {
            var pairs = await CheckAsync(server, "move pairs");

            var problem = Assert.Single(pairs.Problems);
            Assert.Contains($"{from}:", problem);
            Assert.Contains("has 2 ledger rows netting 2 instead of an out and an in row netting 0", problem);
        }
        finally
        {
            await TamperAsync(server, "UPDATE ledger_entries SET amount = 10 WHERE source_kind = 'transfer_in' AND account_id = @to", new { to });
        }
    }

    [Fact]
    public async Task Verify_holds_after_a_reassignment_and_catches_a_purchase_whose_credits_are_not_on_its_owner()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (wrong, right) = (StripeEvents.NewId("u"), await server.UserWithAsync(0));
        var session = StripeEvents.CheckoutSession(userId: wrong, credits: 50, amountTotal: 500);
        var sessionId = (string)session["id"]!;
        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.DeliverAsync(StripeEvents.Refunded((string)session["payment_intent"]!, amount: 500, amountRefunded: 100));
        await server.ExpectAsync(HttpStatusCode.OK, server.PostJsonAsync($"/api/payments/{sessionId}/reassign",
            JsonSerializer.Serialize(new { user_id = right, reason = "stale login" }), "r-verify"));
        Assert.All(await new LedgerVerifier(server.Database).RunAsync(Cancel), r => Assert.True(r.Holds, string.Join("; ", r.Problems)));

        await TamperAsync(server, "UPDATE checkout_payments SET account_id = @wrong WHERE session_id = @sessionId", new { wrong, sessionId });
        try
        {
            var owners = await CheckAsync(server, "purchase owners");

            Assert.Equal($"session {sessionId} belongs to {wrong} with 40 credits left, but its ledger rows leave 0 there and 40 on other accounts",
                Assert.Single(owners.Problems));
        }
        finally
        {
            await TamperAsync(server, "UPDATE checkout_payments SET account_id = @right WHERE session_id = @sessionId", new { right, sessionId });
        }
    }
}
