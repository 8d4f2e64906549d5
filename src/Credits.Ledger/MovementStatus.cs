namespace Credits.Ledger;

public enum MovementStatus
{
    /// <summary>Moved and committed now.</summary>
    Done,

    /// <summary>The key was used before with the same request: the stored movement, nothing moved.</summary>
    Replayed,

    /// <summary>The key was used before with another request (or operation): refused, nothing moved.</summary>
    KeyReused,

    /// <summary>The available balance (balance - held) is smaller than the amount: refused, nothing moved.</summary>
    Insufficient,

    UnknownAccount,
}
