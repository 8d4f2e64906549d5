namespace Credits.Stripe.Api;

/// <summary>
/// One line item of a Checkout Session: which Stripe price, how many, and the credits its Price's
/// <c>metadata.credits</c> says one unit is worth (packs defined in the Stripe Dashboard).
/// </summary>
public sealed record LineItemPrice(string PriceId, long Quantity, long? Credits = null);
