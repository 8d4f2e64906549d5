namespace Credits.Ledger;

public sealed record Account
{
    public required string Id { get; init; }
    public string? Email { get; init; }
    public long Balance { get; init; }

    /// <summary>Reserved by active, unexpired holds; available = balance - held.</summary>
    public long Held { get; init; }

    /// <summary>Unheld lot remainders past their expiry that the sweep has not booked yet: in the balance, never spendable.</summary>
    public long Expired { get; init; }

    /// <summary>What refunds or moves could not take back; the next grant pays it first. Included (negatively) in the balance.</summary>
    public long Debt { get; init; }

    public long Available => Balance - Held - Expired;

    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}
