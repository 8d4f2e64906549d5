namespace Credits.Bench;

/// <summary>What one load run sends, where, and how it is checked afterwards.</summary>
public sealed record BenchOptions
{
    public required Uri Url { get; init; }
    public required string WebhookSecret { get; init; }
    public required string ApiKey { get; init; }
    public BenchMode Mode { get; init; } = BenchMode.Webhook;
    public int Senders { get; init; } = 16;
    public int Events { get; init; } = 40_000;
    public int Warmup { get; init; } = 2_000;
    public int Users { get; init; } = 1_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);
    public int? ServerPid { get; init; }
    public string Label { get; init; } = "";

    /// <summary>Unique per run, so repeated runs against one database start from fresh accounts.</summary>
    public string RunId { get; init; } = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds():x}{Random.Shared.Next(0x1000):x3}";

    public string UserId(int user) => $"bench_{RunId}_u{user}";
}
