using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// The ledger's invariants read straight from the database a server process wrote (docs/guarantees.md), the
/// same checks `credits verify` makes, in SQL.
/// </summary>
public sealed class LedgerChecks(DatabaseSettings settings) : IAsyncDisposable
{
    private readonly LedgerDatabase _database = new(settings);

    public async Task<T> ScalarAsync<T>(string sql, object? args = null) =>
        (await _database.ReadAsync(c => c.ExecuteScalarAsync<T>(new CommandDefinition(sql, args, cancellationToken: TestContext.Current.CancellationToken)),
            TestContext.Current.CancellationToken))!;

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args = null) =>
        [.. await _database.ReadAsync(c => c.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: TestContext.Current.CancellationToken)),
            TestContext.Current.CancellationToken)];

    /// <summary>Every account's balance equals the sum of its ledger entries.</summary>
    public async Task AssertBalancesEqualLedgerAsync()
    {
        var drift = await QueryAsync<string>(
            """
            SELECT a.id FROM accounts a
            WHERE a.balance <> COALESCE((SELECT SUM(e.amount) FROM ledger_entries e WHERE e.account_id = a.id), 0)
            """);
        Assert.True(drift.Count == 0, $"balance differs from the ledger sum for {drift.Count} accounts: {string.Join(", ", drift.Take(10))}");
    }

    /// <summary>How many purchase rows each Checkout Session has in the ledger (sessions without one are absent).</summary>
    public async Task<Dictionary<string, long>> PurchaseRowsPerSessionAsync()
    {
        var rows = await QueryAsync<(string SessionId, long Rows)>(
            "SELECT source_id, COUNT(*) FROM ledger_entries WHERE source_kind = 'checkout_session' GROUP BY source_id");
        return rows.ToDictionary(r => r.SessionId, r => r.Rows, StringComparer.Ordinal);
    }

    public async Task<Dictionary<string, long>> BalancesAsync()
    {
        var rows = await QueryAsync<(string Id, long Balance)>("SELECT id, balance FROM accounts");
        return rows.ToDictionary(r => r.Id, r => r.Balance, StringComparer.Ordinal);
    }

    public async Task<HashSet<string>> StoredEventIdsAsync() =>
        [.. await QueryAsync<string>("SELECT id FROM webhook_events")];

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();
}
