namespace Credits.Stripe.Api;

public sealed record CreatedCheckoutSession(string Id, string? Url);
