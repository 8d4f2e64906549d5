namespace Credits.Tests.Ledger;

/// <summary>A hold as the model sees it: active until captured, released or past its expiry.</summary>
public sealed class ModelHold(string id, long credits, long expiresAt)
{
    public string Id { get; } = id;

    public long Credits { get; } = credits;

    public long ExpiresAt { get; } = expiresAt;

    public string Status { get; set; } = "active";

    public long Captured { get; set; }

    public string StatusAt(long now) => Status == "active" && ExpiresAt <= now ? "expired" : Status;
}
