namespace Credits.Configuration;

public static class CreditLimits
{
    /// <summary>No single movement is bigger than this; anything larger is a mistake or an attack.</summary>
    public const long MaxCredits = 10_000_000;
}
