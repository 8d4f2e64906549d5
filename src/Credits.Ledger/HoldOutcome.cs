using System.Text.Json.Serialization;

namespace Credits.Ledger;

/// <summary>Stored by name with an Idempotency-Key's answer, so adding an outcome never changes a stored one.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HoldOutcome>))]
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

    /// <summary>The Idempotency-Key was used before for another request (or operation): refused, nothing changed.</summary>
    KeyReused,
}
