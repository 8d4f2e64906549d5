namespace Credits.Stripe.Api;

/// <summary>A page of events; <see cref="Events"/> holds each event's JSON exactly as Stripe sent it.</summary>
public sealed record StripeEventPage(IReadOnlyList<string> Events, bool HasMore, string? LastId);
