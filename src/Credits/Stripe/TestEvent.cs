namespace Credits.Stripe;

/// <summary>A built test event: the exact JSON to sign and the ids it carries, so a follow-up event can refer to them.</summary>
public sealed record TestEvent(string Json, string EventId, string Type, string ObjectId, string? SessionId, string PaymentIntent);
