namespace Credits.Configuration;

/// <summary>A credit pack for sale. <see cref="UnitAmount"/> is in the currency's smallest unit (cents).</summary>
public sealed class Pack
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public long Credits { get; set; }
    public long UnitAmount { get; set; }
    public string Currency { get; set; } = "usd";
    public string? PriceId { get; set; }

    /// <summary>Credits bought in this pack expire this many days after the grant; null (the default): never.</summary>
    public int? ExpiresAfterDays { get; set; }
}
