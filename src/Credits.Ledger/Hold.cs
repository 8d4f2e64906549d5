namespace Credits.Ledger;

/// <summary>Credits reserved before work. Times are unix milliseconds.</summary>
public sealed record Hold
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public long Credits { get; init; }
    public required string Status { get; init; }
    public long Captured { get; init; }
    public long ExpiresAt { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }

    /// <summary>An active hold past its expiry is expired, whether or not a write has swept it yet.</summary>
    public Hold AsOf(long now) => Status == HoldStatus.Active && ExpiresAt <= now ? this with { Status = HoldStatus.Expired } : this;
}
