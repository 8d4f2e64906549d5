using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Ledger;

/// <summary>Reads over credit_lots for the API and the dashboard: an account's lots, and what expires soon.</summary>
public sealed class LotQueries(LedgerDatabase database, TimeProvider time)
{
    /// <summary>How far ahead <see cref="ExpiringSoonAsync"/> looks.</summary>
    public static readonly TimeSpan SoonWindow = TimeSpan.FromDays(7);

    /// <summary>A lot (alias-free columns) with credits left that expires after @now and by @until: the API's expiring_soon, the sweep's warnings.</summary>
    public const string ExpiringWithin = "unspent AND expires_at > @now AND expires_at <= @until";

    /// <summary>The end of the warning window that starts at <paramref name="now"/> (unix ms).</summary>
    public static long SoonUntil(long now) => now + (long)SoonWindow.TotalMilliseconds;

    /// <summary>
    /// Active lots first (in spend order), then spent and expired ones, newest first; <paramref name="offset"/> pages.
    /// A lot's held part counts only holds not yet past expiry, as every read does.
    /// </summary>
    public Task<IReadOnlyList<CreditLot>> ListAsync(string accountId, int offset, int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return database.ReadAsync<IReadOnlyList<CreditLot>>(async c => [.. await c.QueryAsync<CreditLot>(new CommandDefinition(
            $"""
            SELECT id, account_id, category, source_kind, source_id, granted, remaining, expires_at, created_at,
                   CAST(COALESCE((SELECT SUM(hl.amount) FROM hold_lots hl JOIN holds h ON h.id = hl.hold_id
                                  WHERE hl.lot_id = credit_lots.id AND {HoldLots.Live}), 0) AS bigint) AS held
            FROM credit_lots
            WHERE account_id = @accountId
            ORDER BY CASE WHEN remaining > 0 AND {Lots.Unexpired} THEN 0 ELSE 1 END,
                     CASE WHEN remaining > 0 AND {Lots.Unexpired} THEN 0 ELSE -id END,
                     {Lots.SpendOrder}
            LIMIT @limit OFFSET @offset
            """,
            new { accountId, now, limit, offset }, cancellationToken: cancellationToken))], cancellationToken);
    }

    /// <summary>Credits in active lots expiring within <see cref="SoonWindow"/>, and the first of those expiries; null when none.</summary>
    public Task<ExpiringSoon?> ExpiringSoonAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = SoonUntil(now);
        return database.ReadAsync(async c =>
        {
            var soon = await c.QuerySingleAsync<ExpiringSoon>(new CommandDefinition(
                $"""
                SELECT CAST(COALESCE(SUM(remaining), 0) AS bigint) AS credits, MIN(expires_at) AS first_expires_at
                FROM credit_lots
                WHERE account_id = @accountId AND {ExpiringWithin}
                """,
                new { accountId, now, until }, cancellationToken: cancellationToken));
            return soon.Credits > 0 ? soon : null;
        }, cancellationToken);
    }
}

/// <summary>Credits that expire within the window, and when the first of them does (unix ms).</summary>
public sealed record ExpiringSoon
{
    public long Credits { get; init; }
    public long? FirstExpiresAt { get; init; }
}
