using Credits.Ledger.Storage;

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

    public Task<MovementResult> SpendAsync(string accountId, string key, long credits, string? reason, CancellationToken cancellationToken) =>
        MoveAsync(SpendKind, accountId, key, credits, reason,
            """
            UPDATE accounts SET balance = balance - @credits, updated_at = @now
            WHERE id = @accountId AND balance - held >= @credits
            RETURNING balance, held
            """,
            cancellationToken);

    public Task<MovementResult> GrantAsync(string accountId, string key, long credits, string reason, CancellationToken cancellationToken) =>
        MoveAsync(GrantKind, accountId, key, credits, reason,
            "UPDATE accounts SET balance = balance + @credits, updated_at = @now WHERE id = @accountId RETURNING balance, held",
            cancellationToken);

    /// <summary>The ledger source of a keyed movement: unique per account and key, like the key itself.</summary>
    public static string SourceId(string accountId, string key) => $"{accountId}:{key}";

    private Task<MovementResult> MoveAsync(
        string kind, string accountId, string key, long credits, string? reason, string moveSql, CancellationToken cancellationToken)
    {
        if (credits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), credits, "Credits must be positive.");
        }
        return groupCommit.RunAsync(accountId, (tx, token) => MoveInAsync(tx, kind, accountId, key, credits, reason, moveSql, token), cancellationToken);
    }

    private async Task<MovementResult> MoveInAsync(
        LedgerTransaction tx, string kind, string accountId, string key, long credits, string? reason, string moveSql, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        if (await IdempotencyKeys.ClaimAsync(tx, accountId, key, kind, IdempotencyKeys.Hash(kind, credits, reason), now, cancellationToken) is { } earlier)
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
