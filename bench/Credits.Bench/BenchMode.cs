namespace Credits.Bench;

/// <summary>What the measured requests are: webhook deliveries or spends.</summary>
public enum BenchMode
{
    Webhook,
    Spend,
}
