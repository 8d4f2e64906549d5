namespace Credits.Ledger;

public enum HoldOutcome
{
    Placed,
    Captured,
    Released,

    /// <summary>The hold had already reached the state asked for (a retried capture or release): nothing changed.</summary>
    Unchanged,

    /// <summary>The hold is captured, released or expired, so it cannot be captured or released now.</summary>
    Settled,

    /// <summary>The capture asks for more credits than the hold reserved.</summary>
    MoreThanHeld,

    Insufficient,
    UnknownAccount,
    NotFound,
}
