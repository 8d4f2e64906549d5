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
