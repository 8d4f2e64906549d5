using System.Text.Json.Serialization;

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

/// <summary>The <c>status</c> values of the webhook's 200 body (README, "The webhook"; docs/events.md), plus <see cref="Failed"/> for stored events whose processing threw.</summary>
public static class EventStatus
{
    public const string Granted = "granted";
    public const string Duplicate = "duplicate";
    public const string Pending = "pending";
    public const string Reversed = "reversed";
    public const string Unmatched = "unmatched";
    public const string Ignored = "ignored";
    public const string Failed = "failed";
}

/// <summary>The webhook's 200 body (README, "The webhook").</summary>
public sealed record WebhookResponse(
    bool Ok,
    string EventId,
    string Status,
    long CreditsAdded,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Balance,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OriginalStatus)
{
    public static WebhookResponse From(string eventId, EventOutcome outcome) =>
        new(true, eventId, outcome.Status, outcome.CreditsAdded, outcome.UserId, outcome.Balance, outcome.Detail, outcome.OriginalStatus);
}
