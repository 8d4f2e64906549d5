using System.Net;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Reconciliation;
using Credits.Tests.Infrastructure;
using Dapper;
using DbUp;
using DbUp.Builder;

namespace Credits.Tests.Ledger;

public sealed class SqliteLotMigrationTests(SqliteFixture db) : LotMigrationTests<SqliteFixture>(db);

public sealed class PostgresLotMigrationTests(PostgresFixture db) : LotMigrationTests<PostgresFixture>(db);

/// <summary>
/// Migration 0009 turns balances into lots: a database written by the schema before it, with
/// purchases, spends, a captured and an active hold, a refund that left a balance below zero,
/// upgrades to one paid lot without expiry per positive balance and debt per negative one, and
/// <c>credits verify</c> holds before and after the first new movements.
/// </summary>
public abstract class LotMigrationTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_database_written_by_schema_0008_upgrades_to_lots_and_verifies()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var settings = db.Settings();
        UpTo0008(settings);
        await using (var database = new LedgerDatabase(settings))
        {
            Assert.False(await SchemaMigrator.IsCurrentAsync(database, Cancel));
            await using var tx = await database.BeginAsync(Cancel);
            await WriteHistoryAsync(tx);
            await tx.CommitAsync(Cancel);
        }

        var applied = await SchemaMigrator.MigrateAsync(settings, Cancel);

        // The upgrade runs the lots script first, then any later ones (0010 onwards).
        var names = applied.Select(name => name[(name.IndexOf(".0", StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal("0009_credit_lots.sql", names[0]);
        Assert.All(names, name => Assert.True(string.CompareOrdinal(name, "0009") >= 0, name));
        await using var server = await CreditsServer.StartAsync(db);
        Assert.All(await new LedgerVerifier(server.Database).RunAsync(Cancel), r => Assert.True(r.Holds, $"{r.Check.Name}: {string.Join("; ", r.Problems)}"));
        var lots = (await server.Database.ReadAsync(c => c.QueryAsync<(string, string, long, long, long?)>(
            "SELECT account_id, category, granted, remaining, expires_at FROM credit_lots ORDER BY account_id"), Cancel)).ToList();
        Assert.Equal([("m_buyer", Lots.Paid, 50L, 50L, (long?)null)], lots);
        // The active hold reserves 10 of that lot (0011_hold_lots.sql), so no spend can take them.
        Assert.Equal(10, await server.ScalarAsync<long>("SELECT held FROM credit_lots WHERE account_id = 'm_buyer'"));
        Assert.Equal(10, await server.ScalarAsync<long>("SELECT amount FROM hold_lots WHERE hold_id = 'hold_m_active'"));
        Assert.Equal(40, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = 'm_refunded'"));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = 'm_empty'"));

        // The upgraded lot spends (10 of its 50 stay held by the active hold), and the next grant pays debt first.
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync("m_buyer", 41, "after-1"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync("m_buyer", 40, "after-2"));
        await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync("hold_m_active"));
        Assert.Equal(0, await server.BalanceAsync("m_buyer"));
        var granted = await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync("m_refunded", 100, "after-3"));
        Assert.Equal(60, granted.GetProperty("balance").GetInt64());
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = 'm_refunded'"));
        Assert.Equal(60, await server.ScalarAsync<long>("SELECT remaining FROM credit_lots WHERE account_id = 'm_refunded'"));
        foreach (var user in new[] { "m_buyer", "m_refunded", "m_empty" })
        {
            await server.AssertConsistentAsync(user);
        }
        Assert.All(await new LedgerVerifier(server.Database).RunAsync(Cancel), r => Assert.True(r.Holds, $"{r.Check.Name}: {string.Join("; ", r.Problems)}"));
    }

    /// <summary>The scripts before lots, through DbUp as the server applies them, so 0009 is the only one left.</summary>
    private static void UpTo0008(DatabaseSettings settings)
    {
        var folder = $".Schema.{settings.Provider}.";
        UpgradeEngineBuilder builder = settings.Provider == DatabaseProvider.Sqlite
            ? DeployChanges.To.SqliteDatabase(settings.ConnectionString)
            : DeployChanges.To.PostgresqlDatabase(settings.ConnectionString);
        var result = builder
            .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly,
                name => name.Contains(folder, StringComparison.Ordinal) && string.CompareOrdinal(name[(name.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..], "0009") < 0)
            .WithTransactionPerScript()
            .Build()
            .PerformUpgrade();
        Assert.True(result.Successful, result.Error?.Message);
    }

    /// <summary>What the server before lots would have written: balances equal their ledger rows.</summary>
    private static async Task WriteHistoryAsync(LedgerTransaction tx)
    {
        const long t = 1_790_000_000_000;
        await tx.ExecuteAsync(
            """
            INSERT INTO accounts (id, email, balance, held, created_at, updated_at) VALUES
                ('m_buyer', 'buyer@example.com', 50, 10, @t, @t),
                ('m_refunded', 'refunded@example.com', -40, 0, @t, @t),
                ('m_empty', NULL, 0, 0, @t, @t)
            """, new { t }, Cancel);
        await tx.ExecuteAsync(
            """
            INSERT INTO checkout_payments (session_id, status, account_id, credits, amount_total, currency, payment_intent, created_at, updated_at) VALUES
                ('cs_m1', 'granted', 'm_buyer', 100, 1000, 'usd', 'pi_m1', @t, @t),
                ('cs_m2', 'granted', 'm_refunded', 40, 400, 'usd', 'pi_m2', @t, @t)
            """, new { t }, Cancel);
        await tx.ExecuteAsync(
            """
            INSERT INTO payment_reversals (source_kind, source_id, payment_intent, status, session_id, account_id, credits, amount, charge_amount, currency, event_id, created_at, updated_at)
            VALUES ('refund', 're_m2', 'pi_m2', 'applied', 'cs_m2', 'm_refunded', -40, 400, 400, 'usd', 'evt_m2r', @t, @t)
            """, new { t }, Cancel);
        await tx.ExecuteAsync(
            """
            INSERT INTO holds (id, account_id, credits, status, captured, expires_at, created_at, updated_at) VALUES
                ('hold_m_done', 'm_buyer', 25, 'captured', 20, @later, @t, @t),
                ('hold_m_active', 'm_buyer', 10, 'active', 0, @later, @t, @t)
            """, new { t, later = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds() }, Cancel);
        await tx.ExecuteAsync(
            """
            INSERT INTO ledger_entries (account_id, amount, kind, source_kind, source_id, reason, created_at) VALUES
                ('m_buyer', 100, 'purchase', 'checkout_session', 'cs_m1', 'Stripe Checkout 1000 usd', @t),
                ('m_buyer', -30, 'spend', 'spend', 'm_buyer:k1', 'resume match', @t),
                ('m_buyer', -20, 'spend', 'hold_capture', 'hold_m_done', 'captured 20 of 25 held', @t),
                ('m_refunded', 40, 'purchase', 'checkout_session', 'cs_m2', 'Stripe Checkout 400 usd', @t),
                ('m_refunded', -40, 'spend', 'spend', 'm_refunded:k1', 'resume match', @t),
                ('m_refunded', -40, 'refund', 'refund', 're_m2', 'refund of checkout session cs_m2', @t)
            """, new { t }, Cancel);
    }
}
