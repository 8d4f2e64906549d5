using Credits.Ledger.Storage;
using Credits.Stripe.Api;

namespace Credits.Stripe;

/// <summary>
/// The middle step of the credits chain needs the session's line items (with their expanded
/// prices), which are not in the event. They are fetched here, before any transaction opens: a
/// Stripe call never runs while the database's write lock is held. Only when it can matter: no
/// metadata.credits, no checkout record of ours (its credits come first), and an API key.
/// </summary>
public sealed class LineItemLookup(IStripeApi stripe, LedgerDatabase database)
{
    public static readonly IReadOnlyList<LineItemPrice> None = [];

    public async Task<IReadOnlyList<LineItemPrice>> ForEventAsync(StripeEvent evt, CancellationToken cancellationToken) =>
        HandledEvents.GrantsPurchase(evt.Type) && CheckoutSession.From(evt.Object) is { } session
            ? await ForSessionAsync(session, cancellationToken)
            : None;

    public async Task<IReadOnlyList<LineItemPrice>> ForSessionAsync(CheckoutSession session, CancellationToken cancellationToken)
    {
        if (session.Mode != "payment" || session.Metadata.ContainsKey("credits") || !stripe.IsConfigured
            || await CheckoutRecords.GetAsync(database, session.Id, cancellationToken) is not null)
        {
            return None;
        }
        try
        {
            return await stripe.GetLineItemPricesAsync(session.Id, cancellationToken);
        }
        catch (global::Stripe.StripeException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // A session this Stripe account does not know has no line items to count; the amount decides.
            return None;
        }
    }
}
