namespace Credits.Tests.Ledger;

/// <summary>What the ledger should hold after a sequence of operations, computed without a database.</summary>
public sealed class SpendingModel(string accountId)
{
    public string AccountId { get; } = accountId;

    public long Balance { get; set; }

    public List<ModelHold> Holds { get; } = [];

    public (string Key, long Credits)? LastSpend { get; set; }

    public long Held(long now) => Holds.Where(h => h.StatusAt(now) == "active").Sum(h => h.Credits);

    public long Available(long now) => Balance - Held(now);
}
