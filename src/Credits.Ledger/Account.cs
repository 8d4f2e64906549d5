namespace Credits.Ledger;

public sealed record Account
{
    public required string Id { get; init; }
    public string? Email { get; init; }
    public long Balance { get; init; }

    /// <summary>Reserved by active, unexpired holds; available = balance - held.</summary>
    public long Held { get; init; }

    public long Available => Balance - Held;

    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}
