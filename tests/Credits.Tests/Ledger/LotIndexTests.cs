using System.Net;
using Credits.Ledger;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Ledger;

/// <summary>
/// Spends update a lot's remainder on every call. No lot index names <c>remaining</c> (the spend
/// order and due indexes are partial on the computed <c>unspent</c>, schema script 0014), so on
/// PostgreSQL a spend updates the lot in place: its indexes keep one entry per lot, however
/// often it is spent from. An index naming <c>remaining</c> would get a new entry per spend.
/// </summary>
public sealed class LotIndexTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static readonly string[] LotIndexes = ["credit_lots_pkey", "credit_lots_account", "credit_lots_source"];

    [Fact]
    public async Task Spending_from_a_lot_adds_no_entries_to_the_lot_indexes()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("u");
        (await server.PutUserAsync(user, "lots@example.com")).EnsureSuccessStatusCode();
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 100, "grant-1"));
        for (var i = 0; i < 10; i++)
        {
            await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 3, $"spend-{i}"));
        }

        await using var connection = await server.Database.OpenAsync(Cancel);
        Assert.Equal((70L, 70L, true), await connection.QuerySingleAsync<(long, long, bool)>(
            "SELECT a.balance, l.remaining, l.unspent FROM accounts a JOIN credit_lots l ON l.account_id = a.id WHERE a.id = @user", new { user }));
        await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pageinspect");
        foreach (var index in LotIndexes)
        {
            // One lot: each index is a single leaf page (block 1), and every entry there, live or dead, is counted.
            var entries = await connection.QuerySingleAsync<long>("SELECT count(*) FROM bt_page_items(@index, 1)", new { index });
            Assert.True(entries == 1, $"{index} has {entries} entries for one lot after ten spends from it");
        }
    }

    [Fact]
    public async Task A_spends_lot_query_reads_the_spend_order_index_on_SQLite_too()
    {
        var sqlite = new SqliteFixture();
        await using var _ = sqlite;
        await Credits.Ledger.Storage.SchemaMigrator.MigrateAsync(sqlite.Settings(), Cancel);
        await using var database = new Credits.Ledger.Storage.LedgerDatabase(sqlite.Settings());
        await using var connection = await database.OpenAsync(Cancel);

        var plan = string.Join("\n", (await connection.QueryAsync<(long, long, long, string Detail)>(
            $"EXPLAIN QUERY PLAN SELECT id FROM credit_lots WHERE account_id = @accountId AND {Lots.Unheld} AND {Lots.Unexpired}",
            new { accountId = "u", now = 0L })).Select(row => row.Detail));

        Assert.Contains("USING INDEX credit_lots_account", plan, StringComparison.Ordinal);
    }
}
