using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;

namespace Credits.Ledger;

/// <summary>
/// Spends and manual grants, each guarded by an Idempotency-Key. The key claim, the balance
/// change and the ledger row commit together or not at all; a spend only happens through one
/// conditional UPDATE (balance - held >= credits), never a read followed by a write. Spends and
/// grants share transactions through <see cref="GroupCommit"/> and are answered after the commit.
/// </summary>
public sealed class Spending(CreditLedger ledger, GroupCommit groupCommit)
{
    public const string SpendKind = "spend";
    public const string GrantKind = "grant";

    /// <summary>The condition a spend adds: never below what is held, never counting expired lots.</summary>
    private const string Available = $"AND {Lots.Spendable} >= @credits";

    /// <summary>The one-statement grant leaves an account with debt to the per-statement path, which pays the debt first.</summary>
    private const string NoDebt = "AND debt = 0";

    /// <summary>
    /// The one-statement spend reads the lots from the statement's snapshot. If another transaction
    /// changed the account (and so perhaps its lots) since, the locked row no longer matches what
    /// the snapshot saw, nothing moves, and the per-statement path, which reads after the lock, takes over.
    /// </summary>
    private const string Unchanged =
        "AND (balance, held, updated_at) = (SELECT a.balance, a.held, a.updated_at FROM accounts a WHERE a.id = @accountId)";

    /// <summary>The one-statement spend (bench/spendpath.sql runs exactly this text under pgbench).</summary>
    internal static readonly string SpendInOneStatement = OneStatement(-1, $"{Available} {Unchanged}");
    private static readonly string GrantInOneStatement = OneStatement(1, NoDebt);

    public Task<MovementResult> SpendAsync(string accountId, string key, long credits, string? reason, CancellationToken cancellationToken) =>
        MoveAsync(SpendKind, accountId, key, credits, reason, LotTerms.Promotion,
            $"""
            UPDATE accounts SET balance = balance - @credits, updated_at = @now
            WHERE id = @accountId {Available}
            RETURNING balance, held, {Lots.ExpiredSql} AS expired
            """,
            SpendInOneStatement,
            cancellationToken);

    /// <summary>A manual grant: a lot of <paramref name="lots"/>' category and expiry (after paying any debt).</summary>
    public Task<MovementResult> GrantAsync(string accountId, string key, long credits, string reason, LotTerms lots, CancellationToken cancellationToken) =>
        MoveAsync(GrantKind, accountId, key, credits, reason, lots,
            $"UPDATE accounts SET balance = balance + @credits, updated_at = @now WHERE id = @accountId RETURNING balance, held, {Lots.ExpiredSql} AS expired",
            GrantInOneStatement,
            cancellationToken);

    /// <summary>
    /// PostgreSQL: the whole movement as one statement, for the common case: a new key, enough
    /// available, no hold due to expire. It moves the balance, writes the ledger row and stores the
    /// key with its answer, or writes nothing and returns no row, and then the per-statement path
    /// below works out why (a replay, a reused key, a refusal, a hold to expire first). The key is
    /// checked by reading, so the primary key on idempotency_keys is what decides a race with
    /// another process: the loser's insert fails, its batch is rolled back, and it runs again alone.
    /// The stored answer is the same <see cref="Movement"/> JSON: its keys are the record's own
    /// property names, as <see cref="System.Text.Json.JsonSerializer"/> writes them.
    /// </summary>
    internal static string OneStatement(int sign, string condition) =>
        $"""
        WITH moved AS (
            UPDATE accounts SET balance = balance {(sign < 0 ? "-" : "+")} @credits, updated_at = @now
            WHERE id = @accountId {condition}
              AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE account_id = @accountId AND key = @key)
              AND NOT EXISTS (SELECT 1 FROM holds WHERE account_id = @accountId AND status = 'active' AND expires_at <= @now)
            RETURNING balance, held),
        entry AS (
            INSERT INTO ledger_entries ({CreditLedger.EntryColumns})
            SELECT @accountId, {(sign < 0 ? "-" : "")}@credits, @kind, @kind, @sourceId, @reason, @now FROM moved
            RETURNING id),
        {(sign < 0 ? TakeLotsSteps : GrantLotSteps)},
        claimed AS (
            INSERT INTO idempotency_keys (account_id, key, operation, request_hash, status_code, response, created_at)
            SELECT @accountId, @key, @kind, @hash, 200,
                   json_build_object('{nameof(Movement.EntryId)}', entry.id, '{nameof(Movement.AccountId)}', @accountId,
                                     '{nameof(Movement.Kind)}', @kind, '{nameof(Movement.Credits)}', @credits,
                                     '{nameof(Movement.Reason)}', @reason, '{nameof(Movement.Balance)}', moved.balance,
                                     '{nameof(Movement.Held)}', moved.held, '{nameof(Movement.CreatedAt)}', @now)::text,
                   @now
            FROM moved, entry)
        SELECT entry.id AS entry_id, moved.balance, moved.held, {Outbox.AnyEndpointSql} AS endpoints FROM moved, entry
        """;

    /// <summary>
    /// The spend's lots, in the same statement: the unheld parts of the account's spendable lots in
    /// spend order with a running sum, each taking what the spend still needs after the lots before it. A lot changed
    /// by another process since the statement began cannot go below zero (a CHECK), so a race
    /// fails the batch and it runs again, never taking twice.
    /// </summary>
    private const string TakeLotsSteps =
        $"""
        walk AS (
            SELECT id, remaining - held AS free, SUM(remaining - held) OVER (ORDER BY {Lots.SpendOrder}) - (remaining - held) AS before
            FROM credit_lots
            WHERE account_id = @accountId AND {Lots.Unheld} AND {Lots.Unexpired}),
        taken AS (
            UPDATE credit_lots SET remaining = credit_lots.remaining - LEAST(walk.free, @credits - walk.before)
            FROM walk, moved
            WHERE credit_lots.id = walk.id AND walk.before < @credits
            RETURNING credit_lots.id, LEAST(walk.free, @credits - walk.before) AS amount),
        parts AS (
            INSERT INTO entry_lots (entry_id, lot_id, amount)
            SELECT entry.id, taken.id, -taken.amount FROM entry, taken)
        """;

    /// <summary>The grant's lot, in the same statement (the account has no debt, or it would not have moved).</summary>
    private const string GrantLotSteps =
        $"""
        lot AS (
            INSERT INTO credit_lots ({Lots.Columns})
            SELECT @accountId, @category, @kind, @sourceId, @credits, @credits, @expiresAt, @now FROM moved
            RETURNING id),
        parts AS (
            INSERT INTO entry_lots (entry_id, lot_id, amount)
            SELECT entry.id, lot.id, @credits FROM entry, lot)
        """;

    /// <summary>
    /// The ledger source of a keyed movement (spend, grant, transfer): unique per account and key,
    /// like the key itself. The account's <c>%</c> and <c>:</c> are escaped (<c>%25</c>, <c>%3A</c>), so
    /// the first <c>:</c> ends the account and no two pairs meet: <c>a:b</c> + <c>c</c> is
    /// <c>a%3Ab:c</c>, <c>a</c> + <c>b:c</c> is <c>a:b:c</c>. Ids without those characters read
    /// <c>account:key</c> as before. Schema/*/0008_source_ids.sql rewrote rows of the older form.
    /// </summary>
    public static string SourceId(string accountId, string key) =>
        $"{accountId.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal)}:{key}";

    private Task<MovementResult> MoveAsync(
        string kind, string accountId, string key, long credits, string? reason, LotTerms lots, string moveSql, string oneStatementSql,
        CancellationToken cancellationToken)
    {
        if (credits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), credits, "Credits must be positive.");
        }
        return groupCommit.RunAsync(accountId, async (tx, token) =>
        {
            var now = ledger.Now();
            // A grant's lot terms are part of its request; the default ones hash as grants always did.
            var hash = IdempotencyKeys.Hash(kind, credits,
                lots.Category == Lots.Promotional && lots.ExpiresAt is null ? reason : $"{reason}\n{lots.Category}\n{lots.ExpiresAt}");
            if (tx.FastPaths && await tx.QuerySingleOrDefaultAsync<Moved>(oneStatementSql,
                new { accountId, key, kind, credits, reason, hash, now, sourceId = SourceId(accountId, key), category = lots.Category, expiresAt = lots.ExpiresAt },
                token) is { } moved)
            {
                var fast = new Movement(moved.EntryId, accountId, kind, credits, reason, moved.Balance, moved.Held, now);
                if (moved.Endpoints)
                {
                    await Outbox.EnqueueAsync(tx, LedgerChanges.Moved(fast), now, token);
                }
                return new MovementResult(MovementOutcome.Done, fast);
            }
            return await MoveInAsync(tx, kind, accountId, key, credits, reason, lots, hash, moveSql, now, token);
        }, cancellationToken);
    }

    /// <summary><see cref="Endpoints"/>: an outbound webhook endpoint exists, so the movement's message is to be enqueued.</summary>
    private sealed record Moved(long EntryId, long Balance, long Held, bool Endpoints);

    private static async Task<MovementResult> MoveInAsync(
        LedgerTransaction tx, string kind, string accountId, string key, long credits, string? reason, LotTerms lots, string hash, string moveSql,
        long now, CancellationToken cancellationToken)
    {
        if (await IdempotencyKeys.ClaimAsync(tx, accountId, key, kind, hash, now, cancellationToken) is { } earlier)
        {
            return earlier;
        }
        await Holds.ExpireAsync(tx, accountId, now, onlyIfDue: true, cancellationToken);
        var funds = await tx.QuerySingleOrDefaultAsync<Funds>(moveSql, new { accountId, credits, now }, cancellationToken);
        if (funds is null)
        {
            // Nothing moved: give the key back (the transaction is shared), so the same key may be retried.
            await IdempotencyKeys.ReleaseAsync(tx, accountId, key, cancellationToken);
            return await RefusalAsync(tx, accountId, now, cancellationToken);
        }
        var amount = kind == SpendKind ? -credits : credits;
        var posting = new Posting(accountId, amount, kind, kind, SourceId(accountId, key), reason);
        var entryId = await CreditLedger.InsertEntryAsync(tx, posting, now, cancellationToken);
        await Lots.ApplyAsync(tx, entryId, posting, lots, now, cancellationToken);
        var movement = new Movement(entryId, accountId, kind, credits, reason, funds.Balance, funds.Held, now);
        await IdempotencyKeys.CompleteAsync(tx, key, movement, cancellationToken);
        await Outbox.EnqueueAsync(tx, LedgerChanges.Moved(movement), now, cancellationToken);
        return new MovementResult(MovementOutcome.Done, movement);
    }

    /// <summary>After a conditional UPDATE matched nothing: either there is no such account or too little is available.</summary>
    private static async Task<MovementResult> RefusalAsync(LedgerTransaction tx, string accountId, long now, CancellationToken cancellationToken) =>
        await FundsAsync(tx, accountId, now, cancellationToken) is { } funds
            ? new MovementResult(MovementOutcome.Insufficient, Funds: funds)
            : new MovementResult(MovementOutcome.UnknownAccount);

    internal static Task<Funds?> FundsAsync(LedgerTransaction tx, string accountId, long now, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<Funds>(
            $"SELECT balance, held, {Lots.ExpiredSql} AS expired FROM accounts WHERE id = @accountId", new { accountId, now }, cancellationToken);
}

/// <summary>
/// What a spend or grant did: the ledger entry and the account right after it. This is what an
/// Idempotency-Key stores and replays, so a retry sees exactly the first answer.
/// </summary>
public sealed record Movement(long EntryId, string AccountId, string Kind, long Credits, string? Reason, long Balance, long Held, long CreatedAt);

/// <summary><see cref="Movement"/> is set for Done and Replayed; <see cref="Funds"/> for Insufficient.</summary>
public sealed record MovementResult(MovementOutcome Status, Movement? Movement = null, Funds? Funds = null);

public enum MovementOutcome
{
    /// <summary>Moved and committed now.</summary>
    Done,

    /// <summary>The key was used before with the same request: the stored movement, nothing moved.</summary>
    Replayed,

    /// <summary>The key was used before with another request (or operation): refused, nothing moved.</summary>
    KeyReused,

    /// <summary>The available balance (balance - held) is smaller than the amount: refused, nothing moved.</summary>
    Insufficient,

    UnknownAccount,
}

/// <summary>
/// An account's balance, the part of it reserved by holds and the unheld part of expired lots not
/// yet booked; available = balance - held - expired (may be negative).
/// </summary>
public sealed record Funds(long Balance, long Held, long Expired)
{
    public long Available => Balance - Held - Expired;
}
