using Credits.Configuration;
using Credits.Stripe.Api;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>
/// The middle step of the credits chain needs the session's line items, which are not in the
/// event. They are fetched here, before any transaction opens: a Stripe call never runs while the
/// database's write lock is held. Only when it can matter: no metadata.credits, an API key, and a
/// pack with a Stripe price id to match.
/// </summary>
public sealed class LineItemLookup(IStripeApi stripe, IOptions<PackOptions> packs)
{
    public static readonly IReadOnlyList<LineItemPrice> None = [];

    public async Task<IReadOnlyList<LineItemPrice>> ForEventAsync(StripeEvent evt, CancellationToken cancellationToken) =>
        evt.Type is "checkout.session.completed" or "checkout.session.async_payment_succeeded" && CheckoutSession.From(evt.Object) is { } session
            ? await ForSessionAsync(session, cancellationToken)
            : None;

    public async Task<IReadOnlyList<LineItemPrice>> ForSessionAsync(CheckoutSession session, CancellationToken cancellationToken) =>
        session.Mode == "payment" && !session.Metadata.ContainsKey("credits") && stripe.IsConfigured
        && packs.Value.Packs.Any(p => !string.IsNullOrWhiteSpace(p.PriceId))
            ? await stripe.GetLineItemPricesAsync(session.Id, cancellationToken)
            : None;
}
