namespace Credits.Ledger;

/// <summary>
/// What a spend or grant did: the ledger entry and the account right after it. This is what an
/// Idempotency-Key stores and replays, so a retry sees exactly the first answer.
/// </summary>
public sealed record Movement(long EntryId, string AccountId, string Kind, long Credits, string? Reason, long Balance, long Held, long CreatedAt);
