namespace Credits.Stripe;

/// <summary>What processing one event did; stored with the event and returned in the 200 body.</summary>
public sealed record EventOutcome(string Status, long CreditsAdded = 0, string? UserId = null, string? Detail = null)
{
    public long? Balance { get; init; }

    /// <summary>For <see cref="EventStatus.Duplicate"/>: the status the first processing had.</summary>
    public string? OriginalStatus { get; init; }

    public string? ObjectId { get; init; }

    /// <summary>Granted by <see cref="OneStatementGrant"/> (counted in /metrics); not part of any answer.</summary>
    internal bool OneStatement { get; init; }

    public static EventOutcome Ignored(string detail) => new(EventStatus.Ignored, Detail: detail);
}
