namespace Credits.Ledger;

public sealed record Account
{
    public required string Id { get; init; }
    public string? Email { get; init; }
    public long Balance { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}
