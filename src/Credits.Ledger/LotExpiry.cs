using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Dapper;

namespace Credits.Ledger;

/// <summary>
/// Books what is left of each lot past its expiry as one <c>expiry</c> ledger row (source
/// <c>expiry</c> / the lot id), taking it out of the balance. Spends never needed it: they filter
/// expired lots themselves; this only makes the ledger say so. Only the unheld part of a lot is
/// booked: what active holds reserve of it stays capturable, and what they give back later is
/// booked by a later sweep (a second row for the same lot). It also warns: each lot with credits
/// left that expires within <see cref="LotQueries.SoonWindow"/> gets one credits.expiring_soon
/// message (a lot granted with less time to live gets it at the next sweep). Any number of sweeps
/// may run at once (the server's background sweep, <c>credits expire</c> from cron, on several
/// instances): each account is swept under its row lock, the unique ledger source decides if two
/// meet over an expiry and the lot's <c>expiry_warned_at</c> over a warning.
/// </summary>
public sealed class LotExpiry(CreditLedger ledger)
{
    public const string Kind = "expiry";

    /// <summary>Sweeps up to <paramref name="maxAccounts"/> accounts with expired remainders or lots to warn about. Returns the lots booked, their credits and the lots warned about.</summary>
    public async Task<ExpirySweep> SweepAsync(int maxAccounts, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        var until = LotQueries.SoonUntil(now);
        var accounts = await ledger.Database.ReadAsync(c => c.QueryAsync<string>(new CommandDefinition(
            """
            SELECT DISTINCT account_id FROM credit_lots
            WHERE unspent AND expires_at IS NOT NULL
              AND ((expires_at <= @now
                    AND (remaining > held
                         OR (held > 0 AND EXISTS (SELECT 1 FROM hold_lots hl JOIN holds h ON h.id = hl.hold_id
                                                  WHERE hl.lot_id = credit_lots.id AND h.status = 'active' AND h.expires_at <= @now))))
                   OR (expires_at > @now AND expires_at <= @until AND expiry_warned_at IS NULL))
            ORDER BY account_id
            LIMIT @maxAccounts
            """,
            new { now, until, maxAccounts }, cancellationToken: cancellationToken)), cancellationToken);
        var total = new ExpirySweep(0, 0, 0);
        foreach (var accountId in accounts)
        {
            await using var tx = await ledger.Database.BeginAsync(cancellationToken);
            var swept = await SweepAccountAsync(tx, accountId, now, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            total = new ExpirySweep(total.Lots + swept.Lots, total.Credits + swept.Credits, total.Warned + swept.Warned);
        }
        return total;
    }

    private static async Task<ExpirySweep> SweepAccountAsync(LedgerTransaction tx, string accountId, long now, CancellationToken cancellationToken)
    {
        // The account row's lock first, as every change to its lots takes it; then holds past expiry give their lots back.
        await tx.ExecuteAsync("UPDATE accounts SET updated_at = updated_at WHERE id = @accountId", new { accountId }, cancellationToken);
        await Holds.ExpireAsync(tx, accountId, now, onlyIfDue: true, cancellationToken);
        var warned = await WarnAsync(tx, accountId, now, cancellationToken);
        var due = await tx.QueryAsync<DueLot>(
            """
            SELECT l.id, CAST(l.remaining - l.held AS bigint) AS remaining,
                   (SELECT COUNT(*) FROM entry_lots p JOIN ledger_entries e ON e.id = p.entry_id
                    WHERE p.lot_id = l.id AND e.source_kind = 'expiry') AS booked
            FROM credit_lots l
            WHERE l.account_id = @accountId AND l.unspent AND l.remaining > l.held AND l.expires_at IS NOT NULL AND l.expires_at <= @now
            ORDER BY l.id
            """,
            new { accountId, now }, cancellationToken);
        long lots = 0, credits = 0;
        foreach (var lot in due)
        {
            // A lot booked before and given credits back later (a hold ending, a won dispute) gets a second row of its own.
            var sourceId = lot.Booked == 0 ? $"{lot.Id}" : $"{lot.Id}#{lot.Booked}";
            var entryId = await tx.QuerySingleOrDefaultAsync<long?>(
                $"""
                INSERT INTO ledger_entries ({CreditLedger.EntryColumns})
                VALUES (@accountId, @amount, '{Kind}', '{Kind}', @sourceId, @reason, @now)
                ON CONFLICT (source_kind, source_id) DO NOTHING
                RETURNING id
                """,
                new { accountId, amount = -lot.Remaining, sourceId, reason = $"lot {lot.Id} expired", now }, cancellationToken);
            if (entryId is null)
            {
                continue;
            }
            await tx.ExecuteAsync("UPDATE credit_lots SET remaining = remaining - @Remaining WHERE id = @Id", lot, cancellationToken);
            await tx.ExecuteAsync("INSERT INTO entry_lots (entry_id, lot_id, amount) VALUES (@entryId, @Id, @amount)",
                new { entryId, lot.Id, amount = -lot.Remaining }, cancellationToken);
            var balance = await tx.QuerySingleOrDefaultAsync<long>(
                "UPDATE accounts SET balance = balance - @Remaining, updated_at = @now WHERE id = @accountId RETURNING balance",
                new { lot.Remaining, now, accountId }, cancellationToken);
            await Outbox.EnqueueAsync(tx, LedgerChanges.Expired(accountId, lot.Id, lot.Remaining, entryId.Value, balance), now, cancellationToken);
            lots++;
            credits += lot.Remaining;
        }
        return new ExpirySweep(lots, credits, warned);
    }

    /// <summary>
    /// Marks the account's lots that enter the warning window and writes one credits.expiring_soon
    /// per lot. The marking UPDATE is what decides: a lot another sweep marked first is not returned.
    /// </summary>
    private static async Task<long> WarnAsync(LedgerTransaction tx, string accountId, long now, CancellationToken cancellationToken)
    {
        var warned = await tx.QueryAsync<WarnedLot>(
            $"""
            UPDATE credit_lots SET expiry_warned_at = @now
            WHERE account_id = @accountId AND {LotQueries.ExpiringWithin} AND expiry_warned_at IS NULL
            RETURNING id, remaining, expires_at, category
            """,
            new { accountId, now, until = LotQueries.SoonUntil(now) }, cancellationToken);
        if (warned.Count == 0)
        {
            return 0;
        }
        var balance = await tx.QuerySingleOrDefaultAsync<long>("SELECT balance FROM accounts WHERE id = @accountId", new { accountId }, cancellationToken);
        // RETURNING has no order; the platform hears about the lots in the order they were granted.
        foreach (var lot in warned.OrderBy(l => l.Id))
        {
            await Outbox.EnqueueAsync(tx, LedgerChanges.ExpiringSoon(accountId, lot.Id, lot.Remaining, lot.ExpiresAt, lot.Category, balance), now, cancellationToken);
        }
        return warned.Count;
    }

    /// <summary>Read by property: SQLite gives a computed column no type when no row comes back, and Dapper matches constructors by type.</summary>
    private sealed class DueLot
    {
        public long Id { get; init; }
        public long Remaining { get; init; }
        public long Booked { get; init; }
    }

    private sealed record WarnedLot(long Id, long Remaining, long ExpiresAt, string Category);
}

/// <summary>What one sweep did: lots booked as expired and the credits they still held, and lots warned about.</summary>
public readonly record struct ExpirySweep(long Lots, long Credits, long Warned);
