namespace Credits.Bench;

/// <summary>
/// One request, fully built before the clock starts: body bytes, the one header that makes it
/// unique (Stripe-Signature or Idempotency-Key), and what a 2xx moves on which account.
/// </summary>
public sealed record BenchRequest(string Path, byte[] Body, string HeaderName, string HeaderValue, string UserId, long CreditsDelta);
