using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Ledger;

/// <summary>
/// Credit lots: every credit lands in a lot and every debit takes from lots, so an account's
/// balance is always the sum of its lots' remainders minus its debt. The balance columns are moved
/// by the callers' own conditional UPDATEs as before; this class keeps lots, debt and the
/// entry_lots parts that name which lots each ledger row touched. A lot past its
/// <c>expires_at</c> is never taken by a spend, hold or transfer: the statements filter it
/// themselves (<see cref="Unexpired"/>), whether or not the expiry sweep has booked it yet.
/// </summary>
public static class Lots
{
    public const string Paid = "paid";
    public const string Promotional = "promotional";

    /// <summary>A lot (alias-free columns) is spendable at @now.</summary>
    public const string Unexpired = "(expires_at IS NULL OR expires_at > @now)";

    /// <summary>
    /// A lot (alias-free columns) has an unheld part. <c>unspent</c> (a column computed as
    /// <c>remaining > 0</c>) follows from it, and is spelled out so that both databases use the lot
    /// indexes, which are partial on <c>unspent</c>. No index names <c>remaining</c> or <c>held</c>,
    /// so PostgreSQL updates a lot a spend takes from in place, without new index entries.
    /// </summary>
    public const string Unheld = "unspent AND remaining > held";

    /// <summary>Soonest expiry first (none last), promotional before paid, oldest first.</summary>
    public const string SpendOrder =
        "CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, CASE WHEN category = 'promotional' THEN 0 ELSE 1 END, created_at, id";

    /// <summary>
    /// The account's unheld lot remainders past expiry that the sweep has not booked yet (needs @now,
    /// reads <c>accounts.id</c>): what a spend must not count although it is still in the balance.
    /// The held part of an expired lot is already out of what is available through <c>accounts.held</c>.
    /// </summary>
    public const string ExpiredSql =
        "CAST(COALESCE((SELECT SUM(l.remaining - l.held) FROM credit_lots l WHERE l.account_id = accounts.id AND l.unspent AND l.remaining > l.held AND l.expires_at <= @now), 0) AS bigint)";

    /// <summary>
    /// <see cref="ExpiredSql"/> for reads, which count only holds not yet past expiry (<see cref="Holds.HeldSql"/>):
    /// what a hold past expiry reserved of an expired lot is expired too, though no write has released it yet.
    /// </summary>
    public const string ExpiredReadSql =
        $"""
        CAST(COALESCE((SELECT SUM(l.remaining) FROM credit_lots l WHERE l.account_id = accounts.id AND l.unspent AND l.expires_at <= @now), 0)
           - COALESCE((SELECT SUM(hl.amount) FROM hold_lots hl JOIN holds h ON h.id = hl.hold_id JOIN credit_lots l ON l.id = hl.lot_id
                       WHERE h.account_id = accounts.id AND {HoldLots.Live} AND l.expires_at <= @now), 0) AS bigint)
        """;

    /// <summary>
    /// What a spend, hold or transfer may take: balance less what is held and what has expired, which
    /// is the unheld remainders of unexpired lots less the debt.
    /// </summary>
    public const string Spendable = $"balance - held - {ExpiredSql}";

    public const string Columns = "account_id, category, source_kind, source_id, granted, remaining, expires_at, created_at";

    /// <summary>
    /// A new lot for a credit of <paramref name="amount"/> whose ledger row is <paramref name="entryId"/>:
    /// the account's debt is paid first and the rest becomes the lot's remainder.
    /// </summary>
    public static async Task<IReadOnlyList<LotSlice>> GrantAsync(
        LedgerTransaction tx, long entryId, string accountId, long amount, LotTerms terms, string sourceKind, string sourceId, long now,
        CancellationToken cancellationToken)
    {
        if (terms.Slices is { } slices)
        {
            var made = new List<LotSlice>();
            foreach (var slice in slices.Where(s => s.Amount > 0))
            {
                made.AddRange(await GrantAsync(tx, entryId, accountId, slice.Amount, new LotTerms(slice.Category, slice.ExpiresAt), sourceKind, sourceId, now,
                    cancellationToken));
            }
            // What the sender's lots did not cover (it went into debt there) arrives as a lot of the terms' category.
            var rest = amount - slices.Sum(s => s.Amount);
            if (rest > 0)
            {
                made.AddRange(await GrantAsync(tx, entryId, accountId, rest, new LotTerms(terms.Category), sourceKind, sourceId, now, cancellationToken));
            }
            return made;
        }
        if (terms.RestoreToSource is { } restore && await tx.QuerySingleOrDefaultAsync<LotSlice>(
                "SELECT id AS lot_id, granted - remaining AS amount, category, expires_at FROM credit_lots WHERE account_id = @accountId AND source_id = @restore ORDER BY id LIMIT 1",
                new { accountId, restore }, cancellationToken) is { } own && own.Amount >= amount)
        {
            var paidDebt = await PayDebtAsync(tx, accountId, amount, cancellationToken);
            var back = amount - paidDebt;
            if (back > 0)
            {
                await tx.ExecuteAsync("UPDATE credit_lots SET remaining = remaining + @back WHERE id = @LotId", new { back, own.LotId }, cancellationToken);
                await PartAsync(tx, entryId, own.LotId, back, cancellationToken);
            }
            return [own with { Amount = back }];
        }
        var debt = await PayDebtAsync(tx, accountId, amount, cancellationToken);
        var lotId = await tx.QuerySingleOrDefaultAsync<long>(
            $"""
            INSERT INTO credit_lots ({Columns})
            VALUES (@accountId, @Category, @sourceKind, @sourceId, @amount, @remaining, @ExpiresAt, @now)
            RETURNING id
            """,
            new { accountId, terms.Category, sourceKind, sourceId, amount, remaining = amount - debt, terms.ExpiresAt, now }, cancellationToken);
        if (amount - debt > 0)
        {
            await PartAsync(tx, entryId, lotId, amount - debt, cancellationToken);
        }
        return [new LotSlice(lotId, amount - debt, terms.Category, terms.ExpiresAt)];
    }

    /// <summary>
    /// Takes <paramref name="amount"/> from the account's lots for ledger row <paramref name="entryId"/>:
    /// the lots of <paramref name="firstFromSource"/> first (a refunded purchase's own lot), then
    /// spend order; <paramref name="includeExpired"/> (a capture beyond what its hold reserved)
    /// lets it reach expired remainders last. It never takes what holds reserve (a lot's
    /// <c>held</c>): that stays capturable, and what no lot covers becomes debt.
    /// </summary>
    public static async Task<IReadOnlyList<LotSlice>> TakeAsync(
        LedgerTransaction tx, long entryId, string accountId, long amount, long now, CancellationToken cancellationToken,
        string? firstFromSource = null, bool includeExpired = false)
    {
        var lots = await tx.QueryAsync<FreeLot>(
            $"""
            SELECT id AS lot_id, CAST(remaining - held AS bigint) AS amount, category, expires_at
            FROM credit_lots
            WHERE account_id = @accountId AND {Unheld} AND ({Unexpired} OR @includeExpired)
            ORDER BY CASE WHEN source_id = @firstFromSource THEN 0 ELSE 1 END, CASE WHEN {Unexpired} THEN 0 ELSE 1 END, {SpendOrder}
            """,
            new { accountId, now, includeExpired, firstFromSource = firstFromSource ?? "" }, cancellationToken);
        var taken = new List<LotSlice>();
        var left = await InOrderAsync(lots, amount, lot => lot.Amount, async (lot, take) =>
        {
            await TakeFromAsync(tx, entryId, lot.LotId, take, cancellationToken);
            taken.Add(new LotSlice(lot.LotId, take, lot.Category, lot.ExpiresAt));
        });
        if (left > 0)
        {
            await tx.ExecuteAsync("UPDATE accounts SET debt = debt + @left WHERE id = @accountId", new { left, accountId }, cancellationToken);
        }
        return taken;
    }

    /// <summary>
    /// The one rule for sharing <paramref name="amount"/> among lots (or a hold's parts of them):
    /// in the order given, each gives up to <paramref name="available"/> until the amount is covered.
    /// <paramref name="take"/> runs once per lot that gives something, one after another. Returns
    /// what the lots did not cover.
    /// </summary>
    internal static async Task<long> InOrderAsync<T>(IEnumerable<T> lots, long amount, Func<T, long> available, Func<T, long, Task> take)
    {
        var left = amount;
        foreach (var lot in lots)
        {
            if (left == 0)
            {
                break;
            }
            var share = Math.Min(left, available(lot));
            await take(lot, share);
            left -= share;
        }
        return left;
    }

    /// <summary>Takes <paramref name="take"/> from one lot and names the lot on the ledger row.</summary>
    internal static async Task TakeFromAsync(LedgerTransaction tx, long entryId, long lotId, long take, CancellationToken cancellationToken)
    {
        await tx.ExecuteAsync("UPDATE credit_lots SET remaining = remaining - @take WHERE id = @lotId", new { take, lotId }, cancellationToken);
        await PartAsync(tx, entryId, lotId, -take, cancellationToken);
    }

    /// <summary>Moves a ledger row's lots: a credit makes a lot, a debit takes from them.</summary>
    public static Task<IReadOnlyList<LotSlice>> ApplyAsync(
        LedgerTransaction tx, long entryId, Posting posting, LotTerms? terms, long now, CancellationToken cancellationToken) =>
        terms is { Deferred: true } ? Task.FromResult<IReadOnlyList<LotSlice>>([])
        : posting.Amount > 0
            ? GrantAsync(tx, entryId, posting.AccountId, posting.Amount, terms ?? LotTerms.Promotion, posting.SourceKind, posting.SourceId, now, cancellationToken)
            : TakeAsync(tx, entryId, posting.AccountId, -posting.Amount, now, cancellationToken, terms?.TakeFirstFrom);

    /// <summary>The lot ids each of these ledger rows touched, with amounts.</summary>
    public static async Task<ILookup<long, EntryLot>> PartsAsync(System.Data.Common.DbConnection connection, IReadOnlyCollection<long> entryIds,
        CancellationToken cancellationToken)
    {
        if (entryIds.Count == 0)
        {
            return Array.Empty<EntryLot>().ToLookup(p => p.EntryId);
        }
        var parts = await connection.QueryAsync<EntryLot>(new CommandDefinition(
            $"SELECT entry_id, lot_id, amount FROM entry_lots WHERE entry_id IN ({string.Join(",", entryIds)}) ORDER BY entry_id, lot_id",
            cancellationToken: cancellationToken));
        return parts.ToLookup(p => p.EntryId);
    }

    private static async Task<long> PayDebtAsync(LedgerTransaction tx, string accountId, long amount, CancellationToken cancellationToken)
    {
        var debt = await tx.QuerySingleOrDefaultAsync<long>("SELECT debt FROM accounts WHERE id = @accountId", new { accountId }, cancellationToken);
        var paid = Math.Min(debt, amount);
        if (paid > 0)
        {
            await tx.ExecuteAsync("UPDATE accounts SET debt = debt - @paid WHERE id = @accountId", new { paid, accountId }, cancellationToken);
        }
        return paid;
    }

    /// <summary>
    /// A lot's unheld part. Read by property, not by constructor: SQLite gives a computed column no
    /// type when no row comes back, and Dapper matches constructors by type.
    /// </summary>
    private sealed record FreeLot
    {
        public long LotId { get; init; }
        public long Amount { get; init; }
        public string Category { get; init; } = "";
        public long? ExpiresAt { get; init; }
    }

    private static Task<int> PartAsync(LedgerTransaction tx, long entryId, long lotId, long amount, CancellationToken cancellationToken) =>
        tx.ExecuteAsync("INSERT INTO entry_lots (entry_id, lot_id, amount) VALUES (@entryId, @lotId, @amount)", new { entryId, lotId, amount }, cancellationToken);
}

/// <summary>
/// How a credit lands in lots: a new lot of <see cref="Category"/> expiring at <see cref="ExpiresAt"/>;
/// or the slices a move carries (each keeps its category and expiry); or back into the lot of
/// <see cref="RestoreToSource"/> (a won dispute). <see cref="TakeFirstFrom"/>: a debit takes that source's lots first.
/// </summary>
public sealed record LotTerms(string Category, long? ExpiresAt = null)
{
    public static LotTerms Promotion { get; } = new(Lots.Promotional);

    public IReadOnlyList<LotSlice>? Slices { get; init; }
    public string? RestoreToSource { get; init; }
    public string? TakeFirstFrom { get; init; }

    /// <summary>The caller moves the lots itself once it knows them (the in row of a move written before its out row).</summary>
    public bool Deferred { get; init; }
}

/// <summary>An amount taken from or added to one lot, with the lot's category and expiry.</summary>
public sealed record LotSlice(long LotId, long Amount, string Category, long? ExpiresAt);

/// <summary>One lot a ledger row touched: negative when taken from it.</summary>
public sealed record EntryLot(long EntryId, long LotId, long Amount);

/// <summary>A credit lot as stored. Times are unix milliseconds.</summary>
public sealed record CreditLot
{
    public long Id { get; init; }
    public required string AccountId { get; init; }
    public required string Category { get; init; }
    public required string SourceKind { get; init; }
    public required string SourceId { get; init; }
    public long Granted { get; init; }
    public long Remaining { get; init; }

    /// <summary>What active holds reserve of <see cref="Remaining"/>.</summary>
    public long Held { get; init; }

    public long? ExpiresAt { get; init; }
    public long CreatedAt { get; init; }

    /// <summary>active (spendable now), spent (nothing left) or expired.</summary>
    public string StateAt(long now) =>
        ExpiresAt is { } at && at <= now ? "expired" : Remaining > 0 ? "active" : "spent";
}
