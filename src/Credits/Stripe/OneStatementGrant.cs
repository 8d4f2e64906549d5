using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;

namespace Credits.Stripe;

/// <summary>
/// The common paid Checkout Session — buyer named by our own id, credits known — granted on
/// PostgreSQL in one statement: claim the event, lock the payment intent, move the session to
/// granted, credit the account, write the ledger row and the purchase's lot and link the customer, each step running
/// only if the one before it wrote. It does what the per-statement path does
/// (<see cref="WebhookEvents.TryClaimAsync"/>, <see cref="CheckoutFulfillment"/>,
/// <see cref="CreditLedger.CreateOrCreditAccountAsync"/>) and leaves the same rows; the unique keys
/// still decide. When a step does not write (a redelivery, a failed event to retry, a session
/// another event already wrote, a refund that arrived first) the caller takes the per-statement
/// path, which works out and records the outcome. SQLite has no writes inside WITH, so it always
/// takes that path.
/// The statement grants only when the account rules agree without a doubt (<c>agreed</c>): the
/// session's own checkout record names this account and these credits; or, without a record, no
/// Stripe customer link names another account, and the account exists (or, when unknown accounts
/// are created, no account has the payer's email). Anything else is claimed and handed to
/// <see cref="PaymentResolver"/>, which parks or grants exactly as it would have.
/// <para>
/// The payment intent's lock (<see cref="PaymentReversals.LockPaymentIntentAsync"/>) is taken by
/// the <c>locked</c> step, which <c>paid</c> reads, so it is held before the session row is
/// written. Under READ COMMITTED this statement reads the snapshot taken when it started, and a
/// lock taken part-way through does not refresh it: had the step been "lock, then look for a
/// pending reversal" in this statement, a refund committed by the transaction the lock waited for
/// would be invisible, the purchase would be granted in full and the refund would stay pending
/// for ever. So the look happens inside credits_lock_payment_intent, a VOLATILE function, whose
/// queries each take a fresh snapshot: after the lock is granted, every reversal committed
/// before it is seen, and every later one waits for this transaction and then finds the grant.
/// PaymentIntentLockTests shows both halves on a real server. The other reads here (<c>agreed</c>)
/// may be stale in the same way, as they always were: what they decide is settled by the
/// unique keys and the conditional upsert, which PostgreSQL checks against the newest row.
/// </para>
/// </summary>
public sealed record OneStatementGrant(CheckoutSession Session, string AccountId, long Credits, bool CreateUnknown)
{
    /// <summary>The pack's lifetime for the purchase's lot; null when its credits never expire.</summary>
    public long? ExpiresAfterMs { get; init; }

    /// <summary>The statement, composed from the fragments the owning classes use themselves; bench/hotpath.sql is this text with pgbench values.</summary>
    internal const string Sql =
        $"""
        WITH claimed AS (
            INSERT INTO webhook_events ({WebhookEvents.Columns})
            VALUES (@EventId, @Type, @Livemode, @ApiVersion, @Created, @Payload, 'granted', @AccountId, @Credits,
                    @SessionId, NULL, NULL, 1, @Now, @Now)
            ON CONFLICT (id) DO NOTHING
            RETURNING id),
        locked AS (
            SELECT {PaymentReversals.LockAndProbe} AS reversals_waiting
            FROM claimed WHERE CAST(@PaymentIntent AS text) IS NOT NULL),
        agreed AS (
            SELECT 1 AS ok
            WHERE CASE WHEN EXISTS (SELECT 1 FROM checkout_sessions WHERE session_id = @SessionId)
                THEN EXISTS (SELECT 1 FROM checkout_sessions WHERE session_id = @SessionId AND account_id = @AccountId AND credits = @Credits)
                ELSE NOT EXISTS (SELECT 1 FROM stripe_customers WHERE customer_id = @Customer AND account_id <> @AccountId)
                     AND (EXISTS (SELECT 1 FROM accounts WHERE id = @AccountId)
                          OR (@CreateUnknown AND NOT EXISTS (SELECT 1 FROM accounts WHERE email = @Email)))
                END
              AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = @AccountId AND debt > 0)),
        paid AS (
            INSERT INTO checkout_payments ({CheckoutPayments.GrantedColumns})
            SELECT @SessionId, 'granted', @AccountId, @Credits, @AmountTotal, @Currency, @PaymentIntent,
                   @Customer, @Email, NULL, @EventId, @Now, @Now
            FROM claimed, agreed WHERE NOT EXISTS (SELECT 1 FROM locked WHERE reversals_waiting)
            ON CONFLICT (session_id) DO UPDATE SET {CheckoutPayments.Replace}
            WHERE checkout_payments.status IN ({CheckoutPayments.GrantableStatuses})
            RETURNING session_id),
        credited AS (
            INSERT INTO accounts ({CreditLedger.AccountColumns})
            SELECT @AccountId, @Email, @Credits, @Now, @Now FROM paid
            {CreditLedger.CreditOnConflict}),
        entry AS (
            INSERT INTO ledger_entries ({CreditLedger.EntryColumns})
            SELECT @AccountId, @Credits, '{CheckoutFulfillment.PurchaseKind}', '{CheckoutFulfillment.SourceKind}', @SessionId, @Reason, @Now FROM paid
            RETURNING id),
        lot AS (
            INSERT INTO credit_lots ({Lots.Columns})
            SELECT @AccountId, '{Lots.Paid}', '{CheckoutFulfillment.SourceKind}', @SessionId, @Credits, @Credits, @ExpiresAt, @Now FROM paid
            RETURNING id),
        part AS (
            INSERT INTO entry_lots (entry_id, lot_id, amount)
            SELECT entry.id, lot.id, @Credits FROM entry, lot),
        linked AS (
            INSERT INTO stripe_customers (customer_id, account_id, created_at)
            SELECT @Customer, @AccountId, @Now FROM paid WHERE CAST(@Customer AS text) <> ''
            ON CONFLICT (customer_id) DO NOTHING)
        SELECT (SELECT count(*) FROM claimed) AS claimed, (SELECT count(*) FROM entry) AS granted, (SELECT balance FROM credited) AS balance,
               {Outbox.AnyEndpointSql} AS endpoints
        """;

    /// <summary>Runs the statement. <see cref="Result.Claimed"/> without <see cref="Result.Granted"/> means the event row holds a placeholder outcome to overwrite.</summary>
    public async Task<Result> RunAsync(LedgerTransaction tx, StripeEvent evt, long now, CancellationToken cancellationToken) =>
        await tx.QuerySingleOrDefaultAsync<Result>(Sql, new
        {
            EventId = evt.Id,
            evt.Type,
            Livemode = evt.Livemode is { } live ? live ? 1 : 0 : (int?)null,
            evt.ApiVersion,
            evt.Created,
            evt.Payload,
            AccountId,
            Credits,
            SessionId = Session.Id,
            Session.PaymentIntent,
            Session.AmountTotal,
            Session.Currency,
            Session.Customer,
            Email = AccountIds.NormalizeEmail(Session.Email),
            Reason = CheckoutFulfillment.PurchaseReason(Session.AmountTotal, Session.Currency),
            Now = now,
            CreateUnknown,
            ExpiresAt = ExpiresAfterMs is { } lifetime ? now + lifetime : (long?)null,
        }, cancellationToken)
        ?? throw new InvalidOperationException("The grant statement returned no row.");

    /// <summary><see cref="Endpoints"/>: an outbound webhook endpoint exists, so the grant's message is to be enqueued.</summary>
    public sealed record Result(long Claimed, long Granted, long? Balance, bool Endpoints);

    /// <summary>The purchase as the statement grants it.</summary>
    public GrantedPurchase Purchase => new() { SessionId = Session.Id, AccountId = AccountId, Credits = Credits, PaymentIntent = Session.PaymentIntent ?? "" };
}
