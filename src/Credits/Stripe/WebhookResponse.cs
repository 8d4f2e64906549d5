using System.Text.Json.Serialization;

namespace Credits.Stripe;

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
