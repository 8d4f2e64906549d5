namespace Credits.Ledger;

/// <summary>An account's balance and the part of it reserved by holds; available = balance - held (may be negative).</summary>
public sealed record Funds(long Balance, long Held)
{
    public long Available => Balance - Held;
}
