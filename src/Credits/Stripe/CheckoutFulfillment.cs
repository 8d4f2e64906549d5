using Credits.Configuration;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Webhooks;
using Credits.Stripe.Api;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>
/// Stripe's "one idempotent fulfil(session)": the completed event, the async-success event and,
/// later, the success page and reconciliation all come here, and the checkout_payments primary
/// key lets exactly one of them grant.
/// </summary>
public sealed class CheckoutFulfillment(CreditLedger ledger, PaymentResolver resolver, PaymentReversals reversals, IOptions<PackOptions> packs)
{
    public const string SourceKind = "checkout_session";

    /// <summary>The ledger kind of a purchase's row.</summary>
    public const string PurchaseKind = "purchase";

    /// <summary>A grant may overwrite a session still waiting (pending) or parked (unmatched), never a closed one.</summary>
    private static readonly string[] GrantReplaces = [PaymentStatus.Pending, PaymentStatus.Unmatched];

    /// <summary>A first write: it never overwrites an existing row.</summary>
    private static readonly string[] ReplacesNoRow = [];

    public async Task<EventOutcome> CompletedAsync(
        LedgerTransaction tx, StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems, CancellationToken cancellationToken)
    {
        if (CheckoutSession.From(evt.Object) is not { } session)
        {
            return EventOutcome.Ignored("data.object is not a Checkout Session");
        }
        return await FulfillAsync(tx, session with { LineItems = lineItems }, evt.Id, cancellationToken) with { ObjectId = session.Id };
    }

    /// <summary>
    /// When a purchase's lot expires: its pack's <c>ExpiresAfterDays</c> after the grant (the pack
    /// named by <c>metadata.pack_id</c>); never when the pack sets none or is not known.
    /// </summary>
    public long? PurchaseExpiry(string? packId, long now) =>
        packId is not null && packs.Value.Find(packId)?.ExpiresAfterDays is { } days ? now + days * 86_400_000L : null;

    /// <summary>The ledger reason of a purchase.</summary>
    public static string PurchaseReason(long? amountTotal, string? currency) => $"Stripe Checkout {amountTotal} {currency}";

    /// <summary>
    /// The grant as one statement, when the event is the common shape: a paid Checkout Session
    /// for our own account id with its credits known. Null for everything else.
    /// </summary>
    public OneStatementGrant? PlanOneStatementGrant(StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems)
    {
        if (!HandledEvents.GrantsPurchase(evt.Type)
            || CheckoutSession.From(evt.Object) is not { Mode: "payment", PaymentStatus: "paid" or "no_payment_required" } session)
        {
            return null;
        }
        session = session with { LineItems = lineItems };
        return resolver.ResolveWithoutLookup(session) is { UserId: { } userId, Credits: { } credits }
            ? new OneStatementGrant(session, userId, credits, resolver.CreatesUnknownAccounts)
            {
                ExpiresAfterMs = PurchaseExpiry(session.Metadata.GetValueOrDefault("pack_id"), 0),
            }
            : null;
    }

    public async Task<EventOutcome> FulfillAsync(LedgerTransaction tx, CheckoutSession session, string sourceEventId, CancellationToken cancellationToken)
    {
        if (session.Mode != "payment")
        {
            return EventOutcome.Ignored($"mode '{session.Mode}' is not a one-time payment; only mode=payment buys credits");
        }
        return session.PaymentStatus switch
        {
            "paid" or "no_payment_required" => await GrantAsync(tx, session, sourceEventId, cancellationToken),
            "unpaid" => await PendingAsync(tx, session, sourceEventId, cancellationToken),
            var other => EventOutcome.Ignored($"payment_status '{other}' is not paid, unpaid or no_payment_required"),
        };
    }

    /// <summary>async_payment_failed and expired close a session that was still waiting for its money.</summary>
    public async Task<EventOutcome> CloseAsync(LedgerTransaction tx, StripeEvent evt, string status, CancellationToken cancellationToken)
    {
        if (CheckoutSession.From(evt.Object) is not { } session)
        {
            return EventOutcome.Ignored("data.object is not a Checkout Session");
        }
        var now = ledger.Now();
        var reason = status == PaymentStatus.Failed ? "the delayed payment failed" : "the session expired unpaid";
        if (await CheckoutPayments.TransitionAsync(tx, session.Id, [PaymentStatus.Pending], status, reason, evt.Id, now, cancellationToken)
            || await CheckoutPayments.TryWriteAsync(tx, session, status, null, null, reason, evt.Id, now, ReplacesNoRow, null, cancellationToken))
        {
            return EventOutcome.Ignored($"no credits: {reason}; session {session.Id} closed") with { ObjectId = session.Id };
        }
        var existing = await CheckoutPayments.GetAsync(tx, session.Id, cancellationToken);
        return EventOutcome.Ignored($"session {session.Id} is already {existing?.Status}") with { ObjectId = session.Id, UserId = existing?.AccountId };
    }

    private async Task<EventOutcome> GrantAsync(LedgerTransaction tx, CheckoutSession session, string eventId, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        var resolution = await resolver.ResolveAsync(tx, session, cancellationToken);
        if (!resolution.IsComplete)
        {
            if (!await CheckoutPayments.TryWriteAsync(tx, session, PaymentStatus.Unmatched, resolution.UserId, resolution.Credits,
                    resolution.Problem, eventId, now, [PaymentStatus.Pending], resolution, cancellationToken))
            {
                return await ExistingAsync(tx, session.Id, cancellationToken);
            }
            await Outbox.EnqueueAsync(tx, StripeChanges.Unmatched(session, resolution), now, cancellationToken);
            return new EventOutcome(EventStatus.Unmatched, 0, resolution.UserId, $"parked for an operator ({resolution.ReasonCode}): {resolution.Problem}");
        }

        var userId = resolution.UserId!;
        var credits = resolution.Credits!.Value;
        // Lock order everywhere: payment intent, then session, then account.
        var reversalsMayWait = session.PaymentIntent is { } paymentIntent
            && await PaymentReversals.LockPaymentIntentAsync(tx, paymentIntent, cancellationToken);
        if (!await CheckoutPayments.TryWriteAsync(tx, session, PaymentStatus.Granted, userId, credits, null, eventId, now, GrantReplaces, null, cancellationToken))
        {
            return await ExistingAsync(tx, session.Id, cancellationToken);
        }
        // Accounts named by our own ids are created here; the others were found, so they exist.
        var email = resolution.CreateAccount ? AccountIds.NormalizeEmail(session.Email) : null;
        return await PostGrantAsync(tx, new GrantedPurchase { SessionId = session.Id, AccountId = userId, Credits = credits, PaymentIntent = session.PaymentIntent ?? "" },
            session.Customer, email, reversalsMayWait, PurchaseReason(session.AmountTotal, session.Currency),
            PurchaseExpiry(session.Metadata.GetValueOrDefault("pack_id"), now), cancellationToken);
    }

    /// <summary>
    /// Grants a parked payment to <paramref name="userId"/> (an operator's assignment or a claim by
    /// email). The session moves from unmatched to granted in one conditional update, so two
    /// assignments at once grant once.
    /// </summary>
    public async Task<EventOutcome> AssignAsync(
        LedgerTransaction tx, CheckoutPayment payment, string userId, long credits, string source, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        var reversalsMayWait = payment.PaymentIntent is { } paymentIntent
            && await PaymentReversals.LockPaymentIntentAsync(tx, paymentIntent, cancellationToken);
        if (!await CheckoutPayments.AssignAsync(tx, payment.SessionId, userId, credits, source, now, cancellationToken))
        {
            return await ExistingAsync(tx, payment.SessionId, cancellationToken);
        }
        return await PostGrantAsync(tx, new GrantedPurchase { SessionId = payment.SessionId, AccountId = userId, Credits = credits, PaymentIntent = payment.PaymentIntent ?? "" },
            payment.CustomerId, null, reversalsMayWait, $"{PurchaseReason(payment.AmountTotal, payment.Currency)}, assigned ({source})",
            PurchaseExpiry((await CheckoutRecords.GetAsync(tx, payment.SessionId, cancellationToken))?.PackId, now), cancellationToken);
    }

    /// <summary>The ledger side of every grant: the purchase row, the customer link, and any reversal that arrived first.</summary>
    private async Task<EventOutcome> PostGrantAsync(
        LedgerTransaction tx, GrantedPurchase purchase, string? customer, string? email, bool reversalsMayWait, string reason, long? expiresAt,
        CancellationToken cancellationToken)
    {
        // The session row just moved to granted in this transaction: that is the gate, so this source is new.
        var balance = await ledger.CreateOrCreditAccountAsync(tx,
            new Posting(purchase.AccountId, purchase.Credits, PurchaseKind, SourceKind, purchase.SessionId, reason),
            new LotTerms(Lots.Paid, expiresAt), email, cancellationToken);
        await Outbox.EnqueueAsync(tx, StripeChanges.Granted(purchase, balance), ledger.Now(), cancellationToken);
        if (customer is { Length: > 0 })
        {
            await CheckoutPayments.LinkCustomerAsync(tx, customer, purchase.AccountId, ledger.Now(), cancellationToken);
        }
        var reversed = reversalsMayWait ? await reversals.ApplyPendingAsync(tx, purchase, cancellationToken) : 0;
        return new EventOutcome(EventStatus.Granted, purchase.Credits + reversed, purchase.AccountId,
            reversed == 0 ? null : $"{purchase.Credits} credits granted and {-reversed} taken back by refunds or disputes that arrived first")
        {
            Balance = reversed == 0 ? balance : await ledger.BalanceAsync(tx, purchase.AccountId, cancellationToken),
            ObjectId = purchase.SessionId,
        };
    }

    private async Task<EventOutcome> PendingAsync(LedgerTransaction tx, CheckoutSession session, string eventId, CancellationToken cancellationToken)
    {
        var resolution = await resolver.ResolveAsync(tx, session, cancellationToken);
        return await CheckoutPayments.TryWriteAsync(tx, session, PaymentStatus.Pending, resolution.UserId, resolution.Credits,
                "waiting for the delayed payment to succeed", eventId, ledger.Now(), ReplacesNoRow, null, cancellationToken)
            ? new EventOutcome(EventStatus.Pending, 0, resolution.UserId, "paid later: credits are granted when the payment succeeds")
            : await ExistingAsync(tx, session.Id, cancellationToken);
    }

    /// <summary>The session was already written by another event: report where it stands, adding nothing.</summary>
    public async Task<EventOutcome> ExistingAsync(LedgerTransaction tx, string sessionId, CancellationToken cancellationToken)
    {
        var existing = await CheckoutPayments.GetAsync(tx, sessionId, cancellationToken)
            ?? throw new InvalidOperationException($"Checkout session {sessionId} conflicted but cannot be read back.");
        var balance = existing.AccountId is null ? (long?)null : await ledger.BalanceAsync(tx, existing.AccountId, cancellationToken);
        return existing.Status switch
        {
            PaymentStatus.Granted => new EventOutcome(EventStatus.Duplicate, 0, existing.AccountId,
                $"session {sessionId} was already granted {existing.Credits} credits by event {existing.EventId}")
            { Balance = balance, OriginalStatus = EventStatus.Granted },
            PaymentStatus.Pending => new EventOutcome(EventStatus.Pending, 0, existing.AccountId, $"session {sessionId} is still waiting for its payment") { Balance = balance },
            PaymentStatus.Unmatched => new EventOutcome(EventStatus.Unmatched, 0, existing.AccountId, $"session {sessionId} is parked: {existing.Reason}") { Balance = balance },
            var closed => EventOutcome.Ignored($"session {sessionId} is already {closed}") with { UserId = existing.AccountId, Balance = balance },
        };
    }
}
