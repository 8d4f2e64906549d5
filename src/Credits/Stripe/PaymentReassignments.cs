using System.Text.Json;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Webhooks;

namespace Credits.Stripe;

/// <summary>
/// Moves a granted purchase to another account (<c>POST /api/payments/{id}/reassign</c>), in one
/// transaction: what is left of it (granted minus already reversed) leaves the old account as a
/// reassign_out row and reaches the new one as a reassign_in row with the same source id; the
/// payment's account and its Stripe customer link move, so later refunds and disputes take from
/// the new account. The old account may go negative. Work on the payment is serialised by its
/// payment intent's lock and its session row, so two reassignments at once move it once.
/// </summary>
public sealed partial class PaymentReassignments(CreditLedger ledger, ILogger<PaymentReassignments> logger)
{
    public const string OutKind = "reassign_out";
    public const string InKind = "reassign_in";

    public async Task<ReassignResult> ReassignAsync(string sessionId, string toUser, string reason, string key, CancellationToken cancellationToken)
    {
        var hash = IdempotencyKeys.Hash("reassign", 0, $"{toUser}\n{reason}");
        Reassignment answer;
        await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
        {
            if (await CheckoutPayments.GetAsync(tx, sessionId, cancellationToken) is not { } payment)
            {
                return ReassignResult.Fail(ReassignFailure.NotFound, $"No payment for checkout session '{sessionId}'; nothing was changed.");
            }
            if (payment.Status == PaymentStatus.Unmatched)
            {
                return ReassignResult.Fail(ReassignFailure.Conflict,
                    $"Checkout session {sessionId} is parked and was never granted; use assign (POST /api/payments/{sessionId}/assign) to give it to a user.");
            }
            if (payment.Status != PaymentStatus.Granted)
            {
                return ReassignResult.Fail(ReassignFailure.Conflict, $"Checkout session {sessionId} is {payment.Status}: only a granted purchase can be moved.");
            }
            if (await ledger.GetAccountAsync(tx, toUser, cancellationToken) is null)
            {
                return ReassignResult.Fail(ReassignFailure.UnknownUser,
                    $"No user '{toUser}' to move checkout session {sessionId} to; create it first with PUT /api/users/{toUser}. Nothing was changed.");
            }

            var now = ledger.Now();
            // Lock order everywhere: payment intent, then session, then account.
            if (payment.PaymentIntent is { } paymentIntent)
            {
                await PaymentReversals.LockPaymentIntentAsync(tx, paymentIntent, cancellationToken);
            }
            if (await ClaimAsync(tx, sessionId, key, hash, toUser, reason, now, cancellationToken) is { } earlier)
            {
                return earlier;
            }
            // Read again under the locks: another reassignment may have moved it meanwhile.
            var owner = await tx.QuerySingleOrDefaultAsync<Owner>(
                """
                UPDATE checkout_payments SET updated_at = @now WHERE session_id = @sessionId AND status = 'granted'
                RETURNING account_id, credits, customer_id
                """,
                new { sessionId, now }, cancellationToken)
                ?? throw new InvalidOperationException($"Checkout session {sessionId} stopped being granted under its lock.");

            answer = owner.AccountId == toUser
                ? new Reassignment(sessionId, "duplicate", toUser, toUser, 0, null, await ledger.BalanceAsync(tx, toUser, cancellationToken),
                    $"checkout session {sessionId} already belongs to user {toUser}; nothing moved")
                : await MoveAsync(tx, sessionId, owner, toUser, reason, key, now, cancellationToken);
            await tx.ExecuteAsync(
                "UPDATE payment_reassignments SET response = @response WHERE session_id = @sessionId AND idempotency_key = @key",
                new { sessionId, key, response = JsonSerializer.Serialize(answer) }, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        if (answer.Status == "reassigned")
        {
            Log.Reassigned(logger, sessionId, answer.Credits, answer.FromUserId, answer.UserId, reason);
        }
        return new ReassignResult(ReassignFailure.None, null, answer);
    }

    private async Task<Reassignment> MoveAsync(
        LedgerTransaction tx, string sessionId, Owner owner, string toUser, string reason, string key, long now, CancellationToken cancellationToken)
    {
        var reversed = await tx.QuerySingleOrDefaultAsync<long>(
            "SELECT CAST(COALESCE(SUM(credits), 0) AS bigint) FROM payment_reversals WHERE session_id = @sessionId AND status = 'applied'",
            new { sessionId }, cancellationToken);
        var remaining = Math.Max(0, owner.Credits + reversed);
        var sourceId = Spending.SourceId(sessionId, key);
        await tx.ExecuteAsync(
            "UPDATE payment_reassignments SET from_account = @from, credits = @remaining WHERE session_id = @sessionId AND idempotency_key = @key",
            new { from = owner.AccountId, remaining, sessionId, key }, cancellationToken);

        long fromBalance = 0, toBalance = 0;
        if (remaining > 0)
        {
            var outRow = new Posting(owner.AccountId, -remaining, OutKind, OutKind, sourceId, $"checkout session {sessionId} moved to user {toUser}: {reason}");
            var inRow = new Posting(toUser, remaining, InKind, InKind, sourceId, $"checkout session {sessionId} moved from user {owner.AccountId}: {reason}");
            // Accounts in id order, as transfers take them, so the two never deadlock.
            // The in row's lots are written after the out row: they are the slices it took, the purchase's own lot first.
            long inEntry = 0;
            IReadOnlyList<LotSlice> slices = [];
            foreach (var posting in string.CompareOrdinal(owner.AccountId, toUser) < 0 ? new[] { outRow, inRow } : [inRow, outRow])
            {
                var posted = await ledger.PostAsync(tx, posting, cancellationToken,
                    posting == outRow ? LotTerms.Promotion with { TakeFirstFrom = sessionId } : LotTerms.Promotion with { Deferred = true });
                (fromBalance, toBalance) = posting == outRow ? (posted.Balance, toBalance) : (fromBalance, posted.Balance);
                (inEntry, slices) = posting == outRow ? (inEntry, posted.Lots ?? []) : (posted.EntryId, slices);
            }
            // The moved lots name the checkout session, so they stay the purchase's own lots on the new account:
            // a later refund takes them first and a won dispute gives back into them.
            await Lots.GrantAsync(tx, inEntry, toUser, remaining, new LotTerms(Lots.Paid) { Slices = slices }, InKind, sessionId, now, cancellationToken);
        }
        else
        {
            fromBalance = await ledger.BalanceAsync(tx, owner.AccountId, cancellationToken);
            toBalance = await ledger.BalanceAsync(tx, toUser, cancellationToken);
        }
        await tx.ExecuteAsync("UPDATE checkout_payments SET account_id = @toUser WHERE session_id = @sessionId", new { toUser, sessionId }, cancellationToken);
        if (owner.CustomerId is { Length: > 0 } customer)
        {
            await tx.ExecuteAsync("UPDATE stripe_customers SET account_id = @toUser WHERE customer_id = @customer", new { toUser, customer }, cancellationToken);
            await CheckoutPayments.LinkCustomerAsync(tx, customer, toUser, now, cancellationToken);
        }
        var detail = remaining == 0
            ? $"nothing was left of checkout session {sessionId} to move (refunded or disputed); it now belongs to user {toUser}"
            : fromBalance < 0
                ? $"{remaining} credits moved from user {owner.AccountId} to user {toUser}; user {owner.AccountId} had spent some of them and now has a negative balance ({fromBalance})"
                : $"{remaining} credits moved from user {owner.AccountId} to user {toUser}";
        await Outbox.EnqueueAsync(tx, StripeChanges.Reassigned(sessionId, owner.AccountId, toUser, remaining, toBalance,
            (await ledger.GetAccountAsync(tx, owner.AccountId, cancellationToken))!), now, cancellationToken);
        return new Reassignment(sessionId, "reassigned", owner.AccountId, toUser, remaining, fromBalance, toBalance, detail);
    }

    /// <summary>Null when this transaction now owns the key; otherwise the stored answer, or a 409 for a key reused with another request.</summary>
    private static async Task<ReassignResult?> ClaimAsync(
        LedgerTransaction tx, string sessionId, string key, string hash, string toUser, string reason, long now, CancellationToken cancellationToken)
    {
        var claimed = await tx.ExecuteAsync(
            """
            INSERT INTO payment_reassignments (session_id, idempotency_key, request_hash, source_id, from_account, to_account, credits, reason, created_at)
            SELECT @sessionId, @key, @hash, @sourceId, @toUser, @toUser, 0, @reason, @now
            ON CONFLICT (session_id, idempotency_key) DO NOTHING
            """,
            new { sessionId, key, hash, sourceId = Spending.SourceId(sessionId, key), toUser, reason, now }, cancellationToken);
        if (claimed == 1)
        {
            return null;
        }
        var stored = await tx.QuerySingleOrDefaultAsync<StoredClaim>(
            "SELECT request_hash, response FROM payment_reassignments WHERE session_id = @sessionId AND idempotency_key = @key",
            new { sessionId, key }, cancellationToken);
        return stored is { Response: { } response } && stored.RequestHash == hash
            ? new ReassignResult(ReassignFailure.None, null, JsonSerializer.Deserialize<Reassignment>(response)! with { Replayed = true })
            : ReassignResult.Fail(ReassignFailure.KeyReused,
                $"The Idempotency-Key '{key}' was already used on checkout session {sessionId} for a different request; send a new key. Nothing was changed.");
    }

    private sealed record Owner
    {
        public required string AccountId { get; init; }
        public long Credits { get; init; }
        public string? CustomerId { get; init; }
    }

    private sealed record StoredClaim
    {
        public required string RequestHash { get; init; }
        public string? Response { get; init; }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Checkout session {SessionId}: {Credits} credits moved from user {FromUserId} to user {UserId} ({Reason})")]
        public static partial void Reassigned(ILogger logger, string sessionId, long credits, string? fromUserId, string userId, string reason);
    }
}

/// <summary>What a reassignment did (also what its Idempotency-Key replays). <see cref="Status"/>: <c>reassigned</c> or <c>duplicate</c>.</summary>
public sealed record Reassignment(
    string CheckoutSessionId, string Status, string? FromUserId, string UserId, long Credits, long? FromBalance, long Balance, string Detail)
{
    public bool Replayed { get; init; }
}

public enum ReassignFailure
{
    None,
    NotFound,
    UnknownUser,
    Conflict,
    KeyReused,
}

public sealed record ReassignResult(ReassignFailure Failure, string? Problem, Reassignment? Reassignment)
{
    public static ReassignResult Fail(ReassignFailure failure, string problem) => new(failure, problem, null);
}
