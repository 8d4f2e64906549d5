namespace Credits.Api;

/// <summary>The body of <c>GET /api/stats</c>: what <c>credits monitor</c> (and a dashboard) shows.</summary>
public sealed record StatsResponse(
    DateTimeOffset GeneratedAt,
    int WindowMinutes,
    IReadOnlyList<StatsResponse.Minute> EventsPerMinute,
    IReadOnlyDictionary<string, long> EventsByStatus,
    StatsResponse.CreditTotals Credits,
    long UnmatchedWaiting,
    DateTimeOffset? OldestUnmatchedAt,
    long FailedEvents,
    DateTimeOffset? OldestFailedAt,
    StatsResponse.LatencySummary Latency,
    IReadOnlyList<StatsResponse.RecentEvent> LatestEvents)
{
    /// <summary>Webhook events received in each of the last 24 hours (the current one last), by status; same shape as a minute.</summary>
    public IReadOnlyList<Minute> EventsPerHour { get; init; } = [];

    /// <summary>Webhook events received in one minute (or one hour, in <see cref="EventsPerHour"/>), by status.</summary>
    public sealed record Minute(DateTimeOffset Start, IReadOnlyDictionary<string, long> Counts);

    /// <summary>All-time credits moved: granted (every credit in), reversed (refunds, disputes), spent (every other debit).</summary>
    public sealed record CreditTotals(long Granted, long Reversed, long Spent);

    /// <summary>Processing time of the last <see cref="Count"/> events handled by this server instance since it started.</summary>
    public sealed record LatencySummary(long Count, double P50Ms, double P95Ms, double MaxMs);

    public sealed record RecentEvent(
        string Id, string Type, string Status, string? UserId, long CreditsAdded, string? ObjectId, string? Detail, string? Error, DateTimeOffset ReceivedAt);
}
