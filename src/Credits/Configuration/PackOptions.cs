using System.Text.RegularExpressions;

namespace Credits.Configuration;

/// <summary>The <c>Packs</c> configuration section.</summary>
public sealed partial class PackOptions
{
    public const string Section = "Packs";

    public List<Pack> Packs { get; set; } = [];

    public Pack? Find(string id) => Packs.FirstOrDefault(p => p.Id == id);

    /// <summary>Null when valid, else a sentence naming the bad pack.</summary>
    public string? Validate()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pack in Packs)
        {
            if (!PackId().IsMatch(pack.Id))
            {
                return $"Packs: id '{pack.Id}' must be 1-64 letters, digits, '-' or '_'.";
            }
            if (!seen.Add(pack.Id))
            {
                return $"Packs: id '{pack.Id}' appears twice.";
            }
            if (pack.Credits is < 1 or > CreditLimits.MaxCredits)
            {
                return $"Packs: pack '{pack.Id}' has {pack.Credits} credits; it needs between 1 and {CreditLimits.MaxCredits}.";
            }
            if (pack.ExpiresAfterDays is < 1 or > 36_500)
            {
                return $"Packs: pack '{pack.Id}' has ExpiresAfterDays {pack.ExpiresAfterDays}; leave it unset for credits that never expire, or give 1 to 36500 days.";
            }
            if (pack.UnitAmount < 0)
            {
                return $"Packs: pack '{pack.Id}' has a negative UnitAmount.";
            }
            if (!Currency().IsMatch(pack.Currency))
            {
                return $"Packs: pack '{pack.Id}' currency '{pack.Currency}' must be a lowercase three-letter ISO code such as usd.";
            }
        }
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex PackId();

    [GeneratedRegex("^[a-z]{3}$")]
    private static partial Regex Currency();
}
