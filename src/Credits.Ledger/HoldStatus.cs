namespace Credits.Ledger;

public static class HoldStatus
{
    public const string Active = "active";
    public const string Captured = "captured";
    public const string Released = "released";
    public const string Expired = "expired";
}
