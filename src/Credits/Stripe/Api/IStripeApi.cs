using Credits.Configuration;

namespace Credits.Stripe.Api;

/// <summary>
/// The few Stripe API calls Credits makes (Checkout creation, the success page, line items,
/// reconciliation). An interface because it is a process boundary; tests point the real client
/// at a fake Stripe on loopback through STRIPE_API_BASE rather than implementing this.
/// </summary>
public interface IStripeApi
{
    /// <summary>False when STRIPE_SECRET_KEY is not set: every call would fail.</summary>
    bool IsConfigured { get; }

    Task<CreatedCheckoutSession> CreateCheckoutSessionAsync(NewCheckoutSession session, CancellationToken cancellationToken);

    /// <summary>The session exactly as Stripe returned it (JSON), for <see cref="CheckoutSession.From"/>.</summary>
    Task<string> GetCheckoutSessionJsonAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>The prices of the session's line items (GET /v1/checkout/sessions/{id}/line_items).</summary>
    Task<IReadOnlyList<LineItemPrice>> GetLineItemPricesAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>One page of GET /v1/events, newest first, each event as the raw JSON Stripe sent.</summary>
    Task<StripeEventPage> ListEventsAsync(IReadOnlyList<string> types, DateTimeOffset createdFrom, string? startingAfter, CancellationToken cancellationToken);
}

/// <summary>
/// One line item of a Checkout Session: which Stripe price, how many, and the credits its Price's
/// <c>metadata.credits</c> says one unit is worth (packs defined in the Stripe Dashboard).
/// </summary>
public sealed record LineItemPrice(string PriceId, long Quantity, long? Credits = null);

/// <summary>What <c>POST /api/checkout/sessions</c> asks Stripe to create.</summary>
public sealed record NewCheckoutSession(string UserId, Pack Pack, string SuccessUrl, string CancelUrl, string? CustomerEmail, long Quantity = 1)
{
    /// <summary>What the session buys: the pack's credits times the quantity.</summary>
    public long Credits => Pack.Credits * Quantity;
}

public sealed record CreatedCheckoutSession(string Id, string? Url);

/// <summary>A page of events; <see cref="Events"/> holds each event's JSON exactly as Stripe sent it.</summary>
public sealed record StripeEventPage(IReadOnlyList<string> Events, bool HasMore, string? LastId);
