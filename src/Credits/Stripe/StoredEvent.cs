namespace Credits.Stripe;

/// <summary>A row of webhook_events: one delivery we accepted, its payload and what it did.</summary>
public sealed record StoredEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public long? Livemode { get; init; }
    public string? ApiVersion { get; init; }
    public long? Created { get; init; }
    public string Payload { get; init; } = "";
    public required string Status { get; init; }
    public string? UserId { get; init; }
    public long CreditsAdded { get; init; }
    public string? ObjectId { get; init; }
    public string? Detail { get; init; }
    public string? Error { get; init; }
    public long Attempts { get; init; }
    public long ReceivedAt { get; init; }
    public long? ProcessedAt { get; init; }
}
