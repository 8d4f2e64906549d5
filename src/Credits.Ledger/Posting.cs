namespace Credits.Ledger;

/// <summary>
/// One movement of credits. <see cref="SourceKind"/> + <see cref="SourceId"/> name what caused it
/// (a checkout session, a refund, an idempotency key) and are unique across the ledger.
/// </summary>
public sealed record Posting(string AccountId, long Amount, string Kind, string SourceKind, string SourceId, string? Reason = null);

/// <summary><see cref="Posted"/> is false when the source had already been posted; nothing changed then.</summary>
public readonly record struct PostingResult(bool Posted, long Balance);
