namespace Credits.Ledger;

/// <summary><see cref="Funds"/> is the account after the change, or at the refusal for Insufficient.</summary>
public sealed record HoldResult(HoldOutcome Outcome, Hold? Hold = null, Funds? Funds = null);
