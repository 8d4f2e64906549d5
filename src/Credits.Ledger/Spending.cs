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

    /// <summary>The condition a spend adds: never below what is held.</summary>
    private const string Available = "AND balance - held >= @credits";

    private static readonly string SpendInOneStatement = OneStatement(-1, Available);
    private static readonly string GrantInOneStatement = OneStatement(1, "");

    public Task<MovementResult> SpendAsync(string accountId, string key, long credits, string? reason, CancellationToken cancellationToken) =>
        MoveAsync(SpendKind, accountId, key, credits, reason,
            $"""
            UPDATE accounts SET balance = balance - @credits, updated_at = @now
            WHERE id = @accountId {Available}
            RETURNING balance, held
            """,
            SpendInOneStatement,
            cancellationToken);

    public Task<MovementResult> GrantAsync(string accountId, string key, long credits, string reason, CancellationToken cancellationToken) =>
        MoveAsync(GrantKind, accountId, key, credits, reason,
            "UPDATE accounts SET balance = balance + @credits, updated_at = @now WHERE id = @accountId RETURNING balance, held",
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
        claimed AS (
            INSERT INTO idempotency_keys (account_id, key, operation, request_hash, status_code, response, created_at)
            SELECT @accountId, @key, @kind, @hash, 200,
                   json_build_object('{nameof(Movement.EntryId)}', entry.id, '{nameof(Movement.AccountId)}', @accountId,
                                     '{nameof(Movement.Kind)}', @kind, '{nameof(Movement.Credits)}', @credits,
                                     '{nameof(Movement.Reason)}', @reason, '{nameof(Movement.Balance)}', moved.balance,
                                     '{nameof(Movement.Held)}', moved.held, '{nameof(Movement.CreatedAt)}', @now)::text,
                   @now
            FROM moved, entry)
        SELECT entry.id AS entry_id, moved.balance, moved.held FROM moved, entry
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
        string kind, string accountId, string key, long credits, string? reason, string moveSql, string oneStatementSql, CancellationToken cancellationToken)
    {
        if (credits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), credits, "Credits must be positive.");
        }
        return groupCommit.RunAsync(accountId, async (tx, token) =>
        {
            var now = ledger.Now();
            var hash = IdempotencyKeys.Hash(kind, credits, reason);
            if (tx.FastPaths && await tx.QuerySingleOrDefaultAsync<Moved>(oneStatementSql,
                new { accountId, key, kind, credits, reason, hash, now, sourceId = SourceId(accountId, key) }, token) is { } moved)
            {
                var fast = new Movement(moved.EntryId, accountId, kind, credits, reason, moved.Balance, moved.Held, now);
                await Outbox.EnqueueAsync(tx, LedgerChanges.Moved(fast), now, token);
                return new MovementResult(MovementStatus.Done, fast);
            }
            return await MoveInAsync(tx, kind, accountId, key, credits, reason, hash, moveSql, now, token);
        }, cancellationToken);
    }

    private sealed record Moved(long EntryId, long Balance, long Held);

    private static async Task<MovementResult> MoveInAsync(
        LedgerTransaction tx, string kind, string accountId, string key, long credits, string? reason, string hash, string moveSql, long now,
        CancellationToken cancellationToken)
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
            return await RefusalAsync(tx, accountId, cancellationToken);
        }
        var amount = kind == SpendKind ? -credits : credits;
        var entryId = await CreditLedger.InsertEntryAsync(tx, new Posting(accountId, amount, kind, kind, SourceId(accountId, key), reason), now, cancellationToken);
        var movement = new Movement(entryId, accountId, kind, credits, reason, funds.Balance, funds.Held, now);
        await IdempotencyKeys.CompleteAsync(tx, key, movement, cancellationToken);
        await Outbox.EnqueueAsync(tx, LedgerChanges.Moved(movement), now, cancellationToken);
        return new MovementResult(MovementStatus.Done, movement);
    }

    /// <summary>After a conditional UPDATE matched nothing: either there is no such account or too little is available.</summary>
    private static async Task<MovementResult> RefusalAsync(LedgerTransaction tx, string accountId, CancellationToken cancellationToken) =>
        await FundsAsync(tx, accountId, cancellationToken) is { } funds
            ? new MovementResult(MovementStatus.Insufficient, Funds: funds)
            : new MovementResult(MovementStatus.UnknownAccount);

    internal static Task<Funds?> FundsAsync(LedgerTransaction tx, string accountId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<Funds>("SELECT balance, held FROM accounts WHERE id = @accountId", new { accountId }, cancellationToken);
}

/// <summary>
/// What a spend or grant did: the ledger entry and the account right after it. This is what an
/// Idempotency-Key stores and replays, so a retry sees exactly the first answer.
/// </summary>
public sealed record Movement(long EntryId, string AccountId, string Kind, long Credits, string? Reason, long Balance, long Held, long CreatedAt);

/// <summary><see cref="Movement"/> is set for Done and Replayed; <see cref="Funds"/> for Insufficient.</summary>
public sealed record MovementResult(MovementStatus Status, Movement? Movement = null, Funds? Funds = null);

public enum MovementStatus
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

/// <summary>An account's balance and the part of it reserved by holds; available = balance - held (may be negative).</summary>
public sealed record Funds(long Balance, long Held)
{
    public long Available => Balance - Held;
}
