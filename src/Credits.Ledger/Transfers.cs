using System.Text.Json;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;

namespace Credits.Ledger;

/// <summary>
/// Credits moved from one account to another (<c>POST /api/users/{id}/transfers</c>): a
/// transfer_out row on the source and a transfer_in row on the destination, sharing one source
/// id, in one transaction with the Idempotency-Key claim. The source is debited only through a
/// conditional UPDATE (available >= credits), so no concurrency overdraws it; the two accounts
/// are always updated in id order, so two transfers in opposite directions never deadlock.
/// </summary>
public sealed class Transfers(CreditLedger ledger)
{
    public const string Operation = "transfer";
    public const string OutKind = "transfer_out";
    public const string InKind = "transfer_in";

    public async Task<TransferResult> TransferAsync(
        string fromAccount, string toAccount, long credits, string reason, string key, CancellationToken cancellationToken)
    {
        if (credits <= 0 || fromAccount == toAccount)
        {
            throw new ArgumentException("A transfer moves a positive amount between two different accounts.");
        }
        await using var tx = await ledger.Database.BeginAsync(cancellationToken);
        var now = ledger.Now();
        foreach (var account in new[] { fromAccount, toAccount })
        {
            if (await Spending.FundsAsync(tx, account, now, cancellationToken) is null)
            {
                return new TransferResult(TransferOutcome.UnknownAccount, UnknownAccount: account);
            }
        }
        var hash = IdempotencyKeys.Hash($"{Operation}\n{toAccount}", credits, reason);
        if (await IdempotencyKeys.TryClaimAsync(tx, fromAccount, key, Operation, hash, now, cancellationToken) is { } stored)
        {
            return stored.RequestHash == hash && stored.Response is { } response
                ? new TransferResult(TransferOutcome.Replayed, JsonSerializer.Deserialize<Transfer>(response))
                : new TransferResult(TransferOutcome.KeyReused);
        }
        await Holds.ExpireAsync(tx, fromAccount, now, onlyIfDue: true, cancellationToken);

        Funds? from = null, to = null;
        foreach (var account in string.CompareOrdinal(fromAccount, toAccount) < 0 ? new[] { fromAccount, toAccount } : [toAccount, fromAccount])
        {
            if (account == fromAccount)
            {
                from = await tx.QuerySingleOrDefaultAsync<Funds>(
                    $"""
                    UPDATE accounts SET balance = balance - @credits, updated_at = @now
                    WHERE id = @account AND {Lots.Spendable} >= @credits
                    RETURNING balance, held, {Lots.ExpiredSql} AS expired
                    """,
                    new { account, credits, now }, cancellationToken);
                if (from is null)
                {
                    // Nothing is committed: disposing the transaction rolls back the key and any credit above.
                    return new TransferResult(TransferOutcome.Insufficient, Funds: await Spending.FundsAsync(tx, fromAccount, now, cancellationToken));
                }
            }
            else
            {
                to = await tx.QuerySingleOrDefaultAsync<Funds>(
                    $"UPDATE accounts SET balance = balance + @credits, updated_at = @now WHERE id = @account RETURNING balance, held, {Lots.ExpiredSql} AS expired",
                    new { account, credits, now }, cancellationToken);
            }
        }

        var sourceId = Spending.SourceId(fromAccount, key);
        var outId = await CreditLedger.InsertEntryAsync(tx,
            new Posting(fromAccount, -credits, OutKind, OutKind, sourceId, $"transfer to user {toAccount}: {reason}"), now, cancellationToken);
        var inId = await CreditLedger.InsertEntryAsync(tx,
            new Posting(toAccount, credits, InKind, InKind, sourceId, $"transfer from user {fromAccount}: {reason}"), now, cancellationToken);
        // The credits arrive as the slices they left: each keeps its category and expiry.
        var slices = await Lots.TakeAsync(tx, outId, fromAccount, credits, now, cancellationToken);
        await Lots.GrantAsync(tx, inId, toAccount, credits, LotTerms.Promotion with { Slices = slices }, InKind, sourceId, now, cancellationToken);
        var transfer = new Transfer(outId, fromAccount, toAccount, credits, reason, from!.Balance, from.Held, to!.Balance, now);
        await IdempotencyKeys.CompleteAsync(tx, fromAccount, key, JsonSerializer.Serialize(transfer), cancellationToken);
        await Outbox.EnqueueAsync(tx, LedgerChanges.TransferredOut(fromAccount, credits, from), now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new TransferResult(TransferOutcome.Done, transfer);
    }
}

/// <summary>A committed transfer: what its Idempotency-Key stores and replays.</summary>
public sealed record Transfer(
    long EntryId, string FromAccount, string ToAccount, long Credits, string Reason, long FromBalance, long FromHeld, long ToBalance, long CreatedAt);

public enum TransferOutcome
{
    Done,
    Replayed,
    KeyReused,
    Insufficient,
    UnknownAccount,
}

/// <summary><see cref="Transfer"/> for Done and Replayed; <see cref="Funds"/> for Insufficient; <see cref="UnknownAccount"/> names the missing account.</summary>
public sealed record TransferResult(TransferOutcome Status, Transfer? Transfer = null, Funds? Funds = null, string? UnknownAccount = null);
