using System.Buffers;

namespace Credits.Ledger;

/// <summary>What an account id and an email may look like, checked before anything is stored.</summary>
public static class AccountIds
{
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:@|");

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    public static string Describe => $"1 to {MaxLength} characters of letters, digits and _ - . : @ |";

    /// <summary>Emails are matched case-insensitively; null when it does not look like an address.</summary>
    public static string? NormalizeEmail(string? email)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 254)
        {
            return null;
        }
        var at = trimmed.IndexOf('@');
        return at > 0 && at < trimmed.Length - 1 && trimmed.IndexOf('@', at + 1) < 0
            // Control characters (NUL above all: PostgreSQL text cannot hold it) are never in an address.
            && !trimmed.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? trimmed.ToLowerInvariant()
            : null;
    }

    /// <summary>An email as logs and ledger reasons may show it: the first character and the domain (<c>a•••@example.com</c>).</summary>
    public static string MaskEmail(string? email)
    {
        var trimmed = email?.Trim() ?? "";
        var at = trimmed.LastIndexOf('@');
        return at <= 0 ? "•••" : $"{trimmed[0]}•••{trimmed[at..]}";
    }
}
