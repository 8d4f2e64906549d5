namespace Credits.Ledger;

public sealed record LedgerEntry
{
    public long Id { get; init; }
    public required string AccountId { get; init; }
    public long Amount { get; init; }
    public required string Kind { get; init; }
    public required string SourceKind { get; init; }
    public required string SourceId { get; init; }
    public string? Reason { get; init; }
    public long CreatedAt { get; init; }

    /// <summary>The lots this row took from (negative) or added to (positive); the rest of the amount moved debt.</summary>
    public IReadOnlyList<EntryLot> Lots { get; init; } = [];
}
