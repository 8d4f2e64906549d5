namespace Credits.Ledger;

/// <summary><see cref="Movement"/> is set for Done and Replayed; <see cref="Funds"/> for Insufficient.</summary>
public sealed record MovementResult(MovementStatus Status, Movement? Movement = null, Funds? Funds = null);
