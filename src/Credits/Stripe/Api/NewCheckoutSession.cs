using Credits.Configuration;

namespace Credits.Stripe.Api;

/// <summary>What <c>POST /api/checkout/sessions</c> asks Stripe to create.</summary>
public sealed record NewCheckoutSession(string UserId, Pack Pack, string SuccessUrl, string CancelUrl, string? CustomerEmail, long Quantity = 1)
{
    /// <summary>What the session buys: the pack's credits times the quantity.</summary>
    public long Credits => Pack.Credits * Quantity;
}
