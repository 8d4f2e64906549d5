using System.Net;
using Credits.Reconciliation;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Reconciliation;

public sealed class SqliteVerifyTests(SqliteFixture db) : VerifyTests<SqliteFixture>(db);

public sealed class PostgresVerifyTests(PostgresFixture db) : VerifyTests<PostgresFixture>(db);

/// <summary>`credits verify` finds drift that only a direct write to the database could cause.</summary>
public abstract class VerifyTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string User() => StripeEvents.NewId("u");

    private static Task TamperAsync(CreditsServer server, string sql, object args) =>
        server.Database.ReadAsync(c => c.ExecuteAsync(sql, args), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Verify_passes_on_a_consistent_ledger_and_catches_a_tampered_balance()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        await server.DeliverAsync(StripeEvents.Paid(user, 50));
        await server.DeliverAsync(StripeEvents.Paid(User(), 7));

        var (clean, report) = await CliRunner.RunAsync(db, null, "verify");

        Assert.True(clean == 0, report);
        Assert.Contains($"all {Credits.Reconciliation.LedgerVerifier.Checks.Count} checks hold", report);

        await TamperAsync(server, "UPDATE accounts SET balance = 55 WHERE id = @user", new { user });
        try
        {
            var (tampered, output) = await CliRunner.RunAsync(db, null, "verify");

            Assert.Equal(1, tampered);
            Assert.Contains($"balances: account {user} has balance 55 but its ledger entries sum to 50", output);
            Assert.DoesNotContain("checkout grants:", output);
        }
        finally
        {
            await TamperAsync(server, "UPDATE accounts SET balance = 50 WHERE id = @user", new { user });
        }
    }

    [Fact]
    public async Task Verify_catches_held_credits_that_no_active_hold_reserved()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        await server.DeliverAsync(StripeEvents.Paid(user, 50));
        await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 20));
        var lot = await server.ScalarAsync<long>("SELECT id FROM credit_lots WHERE account_id = @user", new { user });

        await TamperAsync(server, "UPDATE credit_lots SET held = 25 WHERE id = @lot", new { lot });
        await TamperAsync(server, "UPDATE accounts SET held = 30 WHERE id = @user", new { user });
        try
        {
            var (tampered, output) = await CliRunner.RunAsync(db, null, "verify");

            Assert.Equal(1, tampered);
            Assert.Contains($"held lots: lot {lot} of account {user} has 50 left and 25 held, but active holds reserve 20 of it", output);
            Assert.Contains($"held accounts: account {user} holds 30 credits but its active holds reserve 20 of its lots", output);
        }
        finally
        {
            await TamperAsync(server, "UPDATE credit_lots SET held = 20 WHERE id = @lot", new { lot });
            await TamperAsync(server, "UPDATE accounts SET held = 20 WHERE id = @user", new { user });
        }
    }

    [Fact]
    public async Task Verify_catches_a_granted_session_whose_grant_disagrees()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, credits: 30);
        var sessionId = (string)session["id"]!;
        await server.DeliverAsync(StripeEvents.Completed(session));
        await TamperAsync(server, "UPDATE checkout_payments SET credits = 300 WHERE session_id = @sessionId", new { sessionId });
        try
        {
            var results = await new LedgerVerifier(server.Database).RunAsync(TestContext.Current.CancellationToken);

            var grants = Assert.Single(results, r => r.Check.Name == "checkout grants");
            var problem = Assert.Single(grants.Problems);
            Assert.Equal($"session {sessionId} is granted 300 credits to {user} but has 1 grant rows totalling 30", problem);
            Assert.True(Assert.Single(results, r => r.Check.Name == "balances").Holds);
        }
        finally
        {
            await TamperAsync(server, "UPDATE checkout_payments SET credits = 30 WHERE session_id = @sessionId", new { sessionId });
        }
    }

    [Fact]
    public async Task Verify_holds_after_refunds_and_catches_a_reversal_larger_than_its_grant()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, credits: 100, amountTotal: 1000);
        var sessionId = (string)session["id"]!;
        var paymentIntent = (string)session["payment_intent"]!;
        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 400));
        var verifier = new LedgerVerifier(server.Database);
        Assert.All(await verifier.RunAsync(TestContext.Current.CancellationToken), r => Assert.True(r.Holds, string.Join("; ", r.Problems)));

        await TamperAsync(server, "UPDATE payment_reversals SET credits = -140 WHERE session_id = @sessionId", new { sessionId });
        try
        {
            var reversals = Assert.Single(await verifier.RunAsync(TestContext.Current.CancellationToken), r => r.Check.Name == "reversals");

            Assert.Equal($"session {sessionId}: reversals net -140 against a grant of 100 (ledger rows total -40)", Assert.Single(reversals.Problems));
        }
        finally
        {
            await TamperAsync(server, "UPDATE payment_reversals SET credits = -40 WHERE session_id = @sessionId", new { sessionId });
        }
    }
}
