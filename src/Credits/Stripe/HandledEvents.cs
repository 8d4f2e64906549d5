using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Stripe.Api;

namespace Credits.Stripe;

/// <summary>
/// The one list of Stripe event types Credits acts on. <see cref="EventProcessor"/> dispatches
/// through it, <see cref="Reconciliation.Reconciler"/> lists these types from Stripe,
/// <see cref="LineItemLookup"/> fetches line items for the types that grant a purchase, and
/// <c>send-test-event</c> offers its kinds. To handle a new type, add one entry here and a row
/// to docs/events.md (HandledEventsTests checks both).
/// </summary>
public static class HandledEvents
{
    public static IReadOnlyList<HandledEvent> All { get; } =
    [
        new("checkout.session.completed", (e, tx, evt, items, ct) => e.Checkout.CompletedAsync(tx, evt, items, ct))
        {
            GrantsPurchase = true,
            TestKinds = [new("completed", TestEvents.Session("complete", "paid")), new("completed-unpaid", TestEvents.Session("complete", "unpaid"))],
        },
        new("checkout.session.async_payment_succeeded", (e, tx, evt, items, ct) => e.Checkout.CompletedAsync(tx, evt, items, ct))
        {
            GrantsPurchase = true,
            TestKinds = [new("async-succeeded", TestEvents.Session("complete", "paid"))],
        },
        new("checkout.session.async_payment_failed", (e, tx, evt, _, ct) => e.Checkout.CloseAsync(tx, evt, PaymentStatus.Failed, ct))
        {
            TestKinds = [new("async-failed", TestEvents.Session("complete", "unpaid"))],
        },
        new("checkout.session.expired", (e, tx, evt, _, ct) => e.Checkout.CloseAsync(tx, evt, PaymentStatus.Expired, ct))
        {
            TestKinds = [new("expired", TestEvents.Session("expired", "unpaid"))],
        },
        new("charge.refunded", (e, tx, evt, _, ct) => e.ReverseAsync(tx, evt, ReversalFacts.FromRefundedCharge(evt.Object), ct))
        {
            TestKinds = [new("refund", TestEvents.RefundedCharge)],
        },
        new("charge.dispute.created", (e, tx, evt, _, ct) => e.ReverseAsync(tx, evt, ReversalFacts.FromDispute(evt.Object, ReversalFacts.Dispute), ct))
        {
            TestKinds = [new("dispute", TestEvents.Dispute("needs_response"))],
        },
        // One type, two outcomes: a won dispute gives back what it took; any other close keeps it taken.
        new("charge.dispute.closed", (e, tx, evt, _, ct) => evt.Object.Text("status") == "won"
            ? e.ReverseAsync(tx, evt, ReversalFacts.FromDispute(evt.Object, ReversalFacts.DisputeWon), ct)
            : Task.FromResult(EventOutcome.Ignored($"dispute closed as '{evt.Object.Text("status")}': the credits taken when it opened stay taken")))
        {
            TestKinds = [new("dispute-won", TestEvents.Dispute("won")), new("dispute-lost", TestEvents.Dispute("lost"))],
        },
    ];

    private static readonly Dictionary<string, HandledEvent> ByType = All.ToDictionary(e => e.Type, StringComparer.Ordinal);

    /// <summary>The types <c>credits reconcile</c> asks Stripe for: a type missing here would stay ignored forever.</summary>
    public static IReadOnlyList<string> ReconciledTypes { get; } = [.. All.Where(e => e.Reconciled).Select(e => e.Type)];

    /// <summary>Null for a type Credits does not act on (stored as ignored).</summary>
    public static HandledEvent? Find(string type) => ByType.GetValueOrDefault(type);

    /// <summary>
    /// Whether events of this type grant a purchase: the session's line items are fetched before the
    /// transaction (the credits chain may need them), the one-statement grant may take the event, and
    /// <c>credits reconcile</c> checks that a paid one ended granted.
    /// </summary>
    public static bool GrantsPurchase(string type) => Find(type)?.GrantsPurchase == true;
}

/// <summary>What an event of one type does, given the classes its effect is written through.</summary>
public delegate Task<EventOutcome> HandleEvent(
    EventEffects effects, LedgerTransaction tx, StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems, CancellationToken cancellationToken);

/// <summary>One handled Stripe event type: see <see cref="HandledEvents"/>.</summary>
public sealed record HandledEvent(string Type, HandleEvent Handle)
{
    /// <summary>Grants a purchase (see <see cref="HandledEvents.GrantsPurchase"/>).</summary>
    public bool GrantsPurchase { get; init; }

    /// <summary>Listed from Stripe by <c>credits reconcile</c>.</summary>
    public bool Reconciled { get; init; } = true;

    /// <summary>The <c>send-test-event --kind</c> values that build an event of this type.</summary>
    public IReadOnlyList<TestKind> TestKinds { get; init; } = [];
}

/// <summary>The classes an event's business effect goes through.</summary>
public sealed class EventEffects(CheckoutFulfillment checkout, PaymentReversals reversals)
{
    public CheckoutFulfillment Checkout => checkout;

    public async Task<EventOutcome> ReverseAsync(LedgerTransaction tx, StripeEvent evt, ReversalFacts? facts, CancellationToken cancellationToken) =>
        facts is null
            ? EventOutcome.Ignored($"the {evt.Object.Text("object") ?? "object"} has no id, payment_intent or amount to reverse against")
            : await reversals.ReceiveAsync(tx, facts, evt.Id, cancellationToken);
}
