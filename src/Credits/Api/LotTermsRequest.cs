using System.Globalization;
using Credits.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>A manual grant's <c>category</c> and <c>expires_at</c>, checked so a bad value is a 400 that names it and changes nothing.</summary>
public static class LotTermsRequest
{
    public static (LotTerms? Terms, ProblemHttpResult? Problem) Read(string? category, string? expiresAt, bool isGrant, DateTimeOffset now)
    {
        if (!isGrant)
        {
            return category is null && expiresAt is null
                ? (LotTerms.Promotion, null)
                : (null, Problems.BadRequest("Lot terms apply to grants only",
                    "A spend takes from existing lots in spend order; 'category' and 'expires_at' belong on POST /api/users/{id}/grants. Nothing was changed."));
        }
        if (category is not (null or Lots.Paid or Lots.Promotional))
        {
            return (null, Problems.BadRequest("Unknown category",
                $"'category' must be '{Lots.Paid}' or '{Lots.Promotional}' (the default), not '{Truncate(category)}'. Nothing was changed."));
        }
        long? expires = null;
        if (expiresAt is not null)
        {
            if (!DateTimeOffset.TryParse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) || !expiresAt.Contains('T', StringComparison.Ordinal))
            {
                return (null, Problems.BadRequest("Invalid expires_at",
                    $"'expires_at' must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z, not '{Truncate(expiresAt)}'. Nothing was changed."));
            }
            if (at <= now)
            {
                return (null, Problems.BadRequest("expires_at is in the past",
                    $"'expires_at' ({at:O}) must be later than now ({now:O}); credits that have already expired cannot be granted. Nothing was changed."));
            }
            expires = at.ToUnixTimeMilliseconds();
        }
        return (new LotTerms(category ?? Lots.Promotional, expires), null);
    }

    private static string Truncate(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
