using System.Net;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Api;

public sealed class SqliteSourceIdTests(SqliteFixture db) : SourceIdTests<SqliteFixture>(db);

public sealed class PostgresSourceIdTests(PostgresFixture db) : SourceIdTests<PostgresFixture>(db);

/// <summary>
/// The ledger source of a keyed movement names its account and key so that no two different
/// pairs meet: account <c>a:b</c> with key <c>c</c> and account <c>a</c> with key <c>b:c</c> are two
/// movements, on both databases, and rows written in the old <c>account:key</c> form are
/// rewritten by migration 0008.
/// </summary>
public abstract class SourceIdTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void Source_ids_of_different_account_and_key_pairs_never_meet()
    {
        Assert.NotEqual(Spending.SourceId("a:b", "c"), Spending.SourceId("a", "b:c"));
        Assert.Equal("u_123:match-1", Spending.SourceId("u_123", "match-1"));
        Assert.Equal("a%3Ab:c", Spending.SourceId("a:b", "c"));
        Assert.Equal("a:b:c", Spending.SourceId("a", "b:c"));
        Assert.NotEqual(Spending.SourceId("a%3Ab", "c"), Spending.SourceId("a:b", "c"));
        string[] parts = ["a", ":", "b", "%", "3A", "c", "::", "%25"];
        var pairs = from account in parts.SelectMany(x => parts, (x, y) => x + y).Distinct()
                    from key in parts.SelectMany(x => parts, (x, y) => x + y).Distinct()
                    select (account, key);
        var seen = new Dictionary<string, (string, string)>();
        foreach (var pair in pairs)
        {
            var id = Spending.SourceId(pair.account, pair.key);
            Assert.True(seen.TryAdd(id, pair), $"{pair} and {(seen.TryGetValue(id, out var other) ? other : default)} both make {id}");
        }
    }

    [Fact]
    public async Task Account_a_b_with_key_c_and_account_a_with_key_b_c_are_two_spends_and_two_grants()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var a = StripeEvents.NewId("pair");
        var ab = $"{a}:b";
        foreach (var user in new[] { a, ab })
        {
            (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        }

        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(ab, 100, "c"));
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(a, 100, "b:c"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(ab, 10, "s"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(a, 20, "b:s"));

        Assert.Equal(90, await server.BalanceAsync(ab));
        Assert.Equal(80, await server.BalanceAsync(a));
        Assert.Equal(["a%3Ab:s", "a%3Ab:c"], (await server.EntriesAsync(ab)).Select(e => e.SourceId.Replace(a, "a", StringComparison.Ordinal)));
        Assert.Equal(["a:b:s", "a:b:c"], (await server.EntriesAsync(a)).Select(e => e.SourceId.Replace(a, "a", StringComparison.Ordinal)));
        await server.AssertConsistentAsync(a);
        await server.AssertConsistentAsync(ab);
    }

    [Fact]
    public async Task Rows_in_the_old_account_key_form_are_rewritten_by_migration_0008_and_keep_replaying()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var a = StripeEvents.NewId("old");
        var ab = $"{a}:b";
        foreach (var user in new[] { a, ab })
        {
            (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        }
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(ab, 100, "c"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(ab, 10, "k:1"));
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(a, 50, "plain"));
        // Before 0008 every keyed row read account:key, a transfer's pair of rows included (both
        // named by the sending account and the key).
        await using (var tx = await server.Database.BeginAsync(Cancel))
        {
            await tx.ExecuteAsync(
                "UPDATE ledger_entries SET source_id = account_id || substr(source_id, length(@escaped) + 1) WHERE account_id = @ab",
                new { ab, escaped = Spending.SourceId(ab, "")[..^1] }, Cancel);
            await tx.ExecuteAsync(
                """
                INSERT INTO ledger_entries (account_id, amount, kind, source_kind, source_id, reason, created_at)
                VALUES (@ab, -5, 'transfer_out', 'transfer_out', @old, 'transfer', 1), (@a, 5, 'transfer_in', 'transfer_in', @old, 'transfer', 1)
                """,
                new { a, ab, old = $"{ab}:t" }, Cancel);
            await tx.ExecuteAsync("UPDATE accounts SET balance = balance - 5 WHERE id = @ab", new { ab }, Cancel);
            await tx.ExecuteAsync("UPDATE accounts SET balance = balance + 5 WHERE id = @a", new { a }, Cancel);
            // The credits the old rows moved, in lots as migration 0009 would have left them.
            await tx.ExecuteAsync("UPDATE credit_lots SET remaining = remaining - 5 WHERE account_id = @ab", new { ab }, Cancel);
            await tx.ExecuteAsync("UPDATE credit_lots SET granted = granted + 5, remaining = remaining + 5 WHERE account_id = @a", new { a }, Cancel);
            await tx.ExecuteAsync("DELETE FROM schemaversions WHERE scriptname LIKE '%.0008_%'", null, Cancel);
            await tx.CommitAsync(Cancel);
        }
        Assert.Equal(2, await server.ScalarAsync<long>(
            "SELECT COUNT(*) FROM ledger_entries WHERE source_id IN (@c, @k)", new { c = $"{ab}:c", k = $"{ab}:k:1" }));

        var applied = await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);

        Assert.Contains(applied, name => name.Contains(".0008_", StringComparison.Ordinal));
        var rows = (await server.Database.ReadAsync(c => c.QueryAsync<(string, string, string)>(
            "SELECT account_id, source_kind, source_id FROM ledger_entries WHERE account_id IN (@a, @ab) ORDER BY id", new { a, ab }), Cancel)).ToList();
        Assert.Equal(
            [
                (ab, "grant", Spending.SourceId(ab, "c")), (ab, "spend", Spending.SourceId(ab, "k:1")), (a, "grant", Spending.SourceId(a, "plain")),
                (ab, "transfer_out", Spending.SourceId(ab, "t")), (a, "transfer_in", Spending.SourceId(ab, "t")),
            ],
            rows);
        // The pair that used to collide with the migrated row now simply works, and the old keys still replay.
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(a, 7, "b:c"));
        using var replay = await server.GrantAsync(ab, 100, "c");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(85, await server.BalanceAsync(ab));
        Assert.Equal(62, await server.BalanceAsync(a));
        await server.AssertConsistentAsync(a);
        await server.AssertConsistentAsync(ab);

        Assert.Empty(await SchemaMigrator.MigrateAsync(db.Settings(), Cancel));
    }
}
