namespace Credits.Ledger;

/// <summary>
/// <see cref="Funds"/> is the account after the change, or at the refusal for Insufficient.
/// <see cref="Replayed"/>: the first answer given to this Idempotency-Key, repeated; nothing changed now.
/// </summary>
public sealed record HoldResult(HoldOutcome Outcome, Hold? Hold = null, Funds? Funds = null, bool Replayed = false);
