namespace Credits.Stripe.Api;

/// <summary>One line item of a Checkout Session: which Stripe price, how many.</summary>
public sealed record LineItemPrice(string PriceId, long Quantity);
