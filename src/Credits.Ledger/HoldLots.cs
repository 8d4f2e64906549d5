using Credits.Ledger.Storage;

namespace Credits.Ledger;

/// <summary>
/// Which lots each hold reserves (hold_lots), mirrored in each lot's <c>held</c>. A hold reserves
/// the unheld parts of unexpired lots in spend order when it is placed; from then on no spend,
/// transfer, reversal or expiry sweep takes those parts (they take <c>remaining - held</c>), so a
/// lot that expires under the hold stays capturable until the hold ends. When the hold ends its
/// parts are freed: a capture takes from them first, and what is given back of a lot that expired
/// meanwhile is an unheld expired remainder, which no spend counts and the sweep books.
/// </summary>
internal static class HoldLots
{
    /// <summary>An active hold not yet past expiry (alias <c>h</c>, needs @now).</summary>
    public const string Live = "h.status = 'active' AND h.expires_at > @now";

    /// <summary>Reserves <paramref name="credits"/> of the account's lots for the hold (the caller has checked they are available).</summary>
    public static async Task ReserveAsync(LedgerTransaction tx, string holdId, string accountId, long credits, long now, CancellationToken cancellationToken)
    {
        var free = await tx.QueryAsync<Part>(
            $"""
            SELECT id AS lot_id, CAST(remaining - held AS bigint) AS amount
            FROM credit_lots
            WHERE account_id = @accountId AND {Lots.Unheld} AND {Lots.Unexpired}
            ORDER BY {Lots.SpendOrder}
            """,
            new { accountId, now }, cancellationToken);
        await Lots.InOrderAsync(free, credits, lot => lot.Amount, async (lot, amount) =>
        {
            await tx.ExecuteAsync("UPDATE credit_lots SET held = held + @amount WHERE id = @LotId", new { amount, lot.LotId }, cancellationToken);
            await tx.ExecuteAsync("INSERT INTO hold_lots (hold_id, lot_id, amount) VALUES (@holdId, @LotId, @amount)",
                new { holdId, lot.LotId, amount }, cancellationToken);
        });
    }

    /// <summary>The hold ended without a charge (released or expired): its lots are free again.</summary>
    public static Task<int> ReleaseAsync(LedgerTransaction tx, string holdId, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            """
            UPDATE credit_lots SET held = held - (SELECT hl.amount FROM hold_lots hl WHERE hl.hold_id = @holdId AND hl.lot_id = credit_lots.id)
            WHERE id IN (SELECT lot_id FROM hold_lots WHERE hold_id = @holdId)
            """,
            new { holdId }, cancellationToken);

    /// <summary>
    /// Charges <paramref name="amount"/> of the hold for ledger row <paramref name="entryId"/>: from the
    /// lots it reserved (in spend order, each up to what it reserved there, expired or not), then, for
    /// a hold its lots could not fully cover when 0011_hold_lots.sql gave it lots, from the account's
    /// other lots as any debit does.
    /// </summary>
    public static async Task CaptureAsync(
        LedgerTransaction tx, long entryId, string holdId, string accountId, long amount, long now, CancellationToken cancellationToken)
    {
        var reserved = await tx.QueryAsync<Part>(
            $"""
            SELECT hl.lot_id, hl.amount
            FROM hold_lots hl JOIN credit_lots ON credit_lots.id = hl.lot_id
            WHERE hl.hold_id = @holdId
            ORDER BY {Lots.SpendOrder}
            """,
            new { holdId }, cancellationToken);
        await ReleaseAsync(tx, holdId, cancellationToken);
        var left = await Lots.InOrderAsync(reserved, amount, part => part.Amount,
            (part, take) => Lots.TakeFromAsync(tx, entryId, part.LotId, take, cancellationToken));
        if (left > 0)
        {
            await Lots.TakeAsync(tx, entryId, accountId, left, now, cancellationToken, includeExpired: true);
        }
    }

    /// <summary>Read by property: SQLite gives a computed column no type when no row comes back, and Dapper matches constructors by type.</summary>
    private sealed record Part
    {
        public long LotId { get; init; }
        public long Amount { get; init; }
    }
}
