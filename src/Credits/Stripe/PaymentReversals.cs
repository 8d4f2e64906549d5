using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Webhooks;

namespace Credits.Stripe;

/// <summary>
/// Refunds and disputes take credits back from the purchase they belong to, found through the
/// payment_intent stored with the grant. Work on one payment intent is serialised by
/// <see cref="LockPaymentIntentAsync"/>, so the amounts below are computed from a stable picture;
/// a reversal whose purchase has not arrived is kept pending and applied by the grant.
/// </summary>
public sealed class PaymentReversals(CreditLedger ledger)
{
    public async Task<EventOutcome> ReceiveAsync(LedgerTransaction tx, ReversalFacts facts, string eventId, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        await LockPaymentIntentAsync(tx, facts.PaymentIntent, cancellationToken);
        var purchase = await GrantedPurchaseAsync(tx, facts.PaymentIntent, cancellationToken);
        if (purchase is null)
        {
            return await InsertAsync(tx, facts, "pending", null, 0, eventId, now, cancellationToken)
                ? new EventOutcome(EventStatus.Pending, 0, null,
                    $"{Describe(facts)} for a payment not granted yet; kept and applied when payment {facts.PaymentIntent} is granted")
                : await AlreadyAsync(tx, facts, cancellationToken);
        }

        var credits = await CreditsFor(tx, facts, purchase, cancellationToken);
        if (!await InsertAsync(tx, facts, "applied", purchase, credits, eventId, now, cancellationToken))
        {
            return await AlreadyAsync(tx, facts, cancellationToken);
        }
        var balance = await PostAsync(tx, facts, purchase, credits, cancellationToken);
        return new EventOutcome(EventStatus.Reversed, credits, purchase.AccountId,
            credits == 0 ? $"{Describe(facts)}: nothing left to take back from session {purchase.SessionId}" : $"{Describe(facts)} of session {purchase.SessionId}")
        {
            Balance = balance,
            ObjectId = facts.SourceId,
        };
    }

    /// <summary>Called by every grant, in its transaction: applies what arrived before the purchase. Returns the credits moved.</summary>
    public async Task<long> ApplyPendingAsync(LedgerTransaction tx, GrantedPurchase purchase, CancellationToken cancellationToken)
    {
        var pending = await tx.QueryAsync<PendingReversal>(PendingSql, purchase, cancellationToken);
        long moved = 0;
        foreach (var row in pending)
        {
            var facts = new ReversalFacts(row.SourceKind, row.SourceId, purchase.PaymentIntent, row.Amount ?? 0, row.ChargeAmount, row.Currency);
            var credits = await CreditsFor(tx, facts, purchase, cancellationToken);
            await tx.ExecuteAsync(
                """
                UPDATE payment_reversals
                SET status = 'applied', session_id = @SessionId, account_id = @AccountId, credits = @credits, updated_at = @now
                WHERE source_kind = @Kind AND source_id = @SourceId AND status = 'pending'
                """,
                new { purchase.SessionId, purchase.AccountId, credits, now = ledger.Now(), facts.Kind, facts.SourceId }, cancellationToken);
            await PostAsync(tx, facts, purchase, credits, cancellationToken);
            moved += credits;
        }
        return moved;
    }

    /// <summary>The reversals waiting for a purchase: most purchases have none, and payment_reversals_payment_intent answers that from the index.</summary>
    internal const string PendingSql =
        """
        SELECT source_kind, source_id, amount, charge_amount, currency
        FROM payment_reversals
        WHERE payment_intent = @PaymentIntent AND status = 'pending'
        ORDER BY created_at, source_kind, source_id
        """;

    /// <summary>
    /// Takes the payment intent's lock for the rest of the transaction (payment intent, then session,
    /// then account is the lock order everywhere). True when a reversal may be waiting for its
    /// purchase: on PostgreSQL the function answers that from a snapshot taken after the lock was
    /// granted (schema script 0013_payment_intent_lock says why it must); on SQLite, whose single
    /// writer already serialises every write transaction, there is no lock to take and the answer
    /// is always "look", which <see cref="ApplyPendingAsync"/> does with the same index probe.
    /// </summary>
    public static async Task<bool> LockPaymentIntentAsync(LedgerTransaction tx, string paymentIntent, CancellationToken cancellationToken) =>
        tx.Provider == DatabaseProvider.Sqlite
        || await tx.QuerySingleOrDefaultAsync<bool>($"SELECT {LockAndProbe}", new { PaymentIntent = paymentIntent }, cancellationToken);

    /// <summary>The PostgreSQL call that takes the lock and answers whether reversals wait; <see cref="OneStatementGrant"/> runs it as a step.</summary>
    internal const string LockAndProbe = "credits_lock_payment_intent(@PaymentIntent)";

    /// <summary>Reads what earlier reversals of the purchase took, then <see cref="CreditsFor(ReversalFacts, long, long, long, long)"/>.</summary>
    private static async Task<long> CreditsFor(LedgerTransaction tx, ReversalFacts facts, GrantedPurchase purchase, CancellationToken cancellationToken)
    {
        var totals = await tx.QuerySingleOrDefaultAsync<ReversalTotals>(
            """
            SELECT CAST(COALESCE(SUM(credits), 0) AS bigint) AS net,
                   CAST(COALESCE(SUM(CASE WHEN source_kind = 'refund' THEN credits ELSE 0 END), 0) AS bigint) AS refunds
            FROM payment_reversals WHERE payment_intent = @PaymentIntent AND status = 'applied'
            """,
            purchase, cancellationToken);
        var disputed = facts.Kind == ReversalFacts.DisputeWon
            ? await tx.QuerySingleOrDefaultAsync<long?>(
                "SELECT credits FROM payment_reversals WHERE source_kind = 'dispute' AND source_id = @SourceId AND status = 'applied'",
                facts, cancellationToken)
            : null;
        return CreditsFor(facts, purchase.Credits, totals?.Net ?? 0, totals?.Refunds ?? 0, disputed ?? 0);
    }

    /// <summary>
    /// Signed credits for this step, from what the purchase granted and what earlier steps moved
    /// (<paramref name="net"/>: all applied reversals, <paramref name="refunds"/>: the refunds among
    /// them, <paramref name="disputed"/>: what the dispute being won took; all zero or negative).
    /// Refunds: the purchase's credits in proportion to the cumulative refunded amount, rounded down
    /// (in the buyer's favour), less what earlier refund steps took. Disputes: whatever is left of the
    /// purchase. Won disputes: what the dispute took. Never more than the purchase has left, never
    /// more than it granted.
    /// </summary>
    public static long CreditsFor(ReversalFacts facts, long granted, long net, long refunds, long disputed)
    {
        var remaining = Math.Max(0, granted + net);
        switch (facts.Kind)
        {
            case ReversalFacts.Refund:
                var charge = facts.ChargeAmount ?? 0;
                var target = charge <= 0 || facts.Amount >= charge ? granted : granted * facts.Amount / charge;
                return -Math.Clamp(target + refunds, 0, remaining);
            case ReversalFacts.Dispute:
                return -remaining;
            default:
                return Math.Min(-disputed, granted - remaining);
        }
    }

    private async Task<long> PostAsync(LedgerTransaction tx, ReversalFacts facts, GrantedPurchase purchase, long credits, CancellationToken cancellationToken)
    {
        if (credits == 0)
        {
            return await ledger.BalanceAsync(tx, purchase.AccountId, cancellationToken);
        }
        // Taken from the purchase's own lot first; a won dispute goes back into that lot.
        var posted = await ledger.PostAsync(tx,
            new Posting(purchase.AccountId, credits, facts.Kind, facts.Kind, facts.SourceId, $"{Describe(facts)} of checkout session {purchase.SessionId}"),
            cancellationToken, new LotTerms(Lots.Paid) { TakeFirstFrom = purchase.SessionId, RestoreToSource = purchase.SessionId });
        await Outbox.EnqueueAsync(tx, StripeChanges.Reversed(facts, purchase, credits, (await ledger.GetAccountAsync(tx, purchase.AccountId, cancellationToken))!),
            ledger.Now(), cancellationToken);
        return posted.Balance;
    }

    private static async Task<bool> InsertAsync(
        LedgerTransaction tx, ReversalFacts facts, string status, GrantedPurchase? purchase, long credits, string eventId, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            """
            INSERT INTO payment_reversals
                (source_kind, source_id, payment_intent, status, session_id, account_id, credits, amount, charge_amount, currency, event_id, created_at, updated_at)
            VALUES (@Kind, @SourceId, @PaymentIntent, @status, @sessionId, @accountId, @credits, @Amount, @ChargeAmount, @Currency, @eventId, @now, @now)
            ON CONFLICT (source_kind, source_id) DO NOTHING
            """,
            new
            {
                facts.Kind, facts.SourceId, facts.PaymentIntent, status, sessionId = purchase?.SessionId, accountId = purchase?.AccountId,
                credits, facts.Amount, facts.ChargeAmount, facts.Currency, eventId, now,
            },
            cancellationToken) == 1;

    private async Task<EventOutcome> AlreadyAsync(LedgerTransaction tx, ReversalFacts facts, CancellationToken cancellationToken)
    {
        var row = await tx.QuerySingleOrDefaultAsync<ExistingReversal>(
            "SELECT status, account_id, credits, event_id FROM payment_reversals WHERE source_kind = @Kind AND source_id = @SourceId",
            facts, cancellationToken);
        var balance = row?.AccountId is null ? (long?)null : await ledger.BalanceAsync(tx, row.AccountId, cancellationToken);
        return new EventOutcome(EventStatus.Duplicate, 0, row?.AccountId,
            $"{Describe(facts)} was already recorded by event {row?.EventId} ({row?.Status}, {row?.Credits} credits)")
        {
            Balance = balance,
            OriginalStatus = row?.Status == "pending" ? EventStatus.Pending : EventStatus.Reversed,
            ObjectId = facts.SourceId,
        };
    }

    private static Task<GrantedPurchase?> GrantedPurchaseAsync(LedgerTransaction tx, string paymentIntent, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<GrantedPurchase>(
            """
            SELECT session_id, account_id, credits, payment_intent FROM checkout_payments
            WHERE payment_intent = @paymentIntent AND status = 'granted'
            ORDER BY created_at LIMIT 1
            """,
            new { paymentIntent }, cancellationToken);

    private static string Describe(ReversalFacts facts) => facts.Kind switch
    {
        ReversalFacts.Refund => $"refund {facts.SourceId} ({facts.Amount} of {facts.ChargeAmount} {facts.Currency} refunded so far)",
        ReversalFacts.Dispute => $"dispute {facts.SourceId}",
        _ => $"won dispute {facts.SourceId}",
    };

    private sealed record ReversalTotals
    {
        public long Net { get; init; }
        public long Refunds { get; init; }
    }

    private sealed record PendingReversal
    {
        public required string SourceKind { get; init; }
        public required string SourceId { get; init; }
        public long? Amount { get; init; }
        public long? ChargeAmount { get; init; }
        public string? Currency { get; init; }
    }

    private sealed record ExistingReversal
    {
        public required string Status { get; init; }
        public string? AccountId { get; init; }
        public long Credits { get; init; }
        public string? EventId { get; init; }
    }
}

/// <summary>A granted Checkout Session: what reversals are measured against.</summary>
public sealed record GrantedPurchase
{
    public required string SessionId { get; init; }
    public required string AccountId { get; init; }
    public long Credits { get; init; }
    public required string PaymentIntent { get; init; }
}
