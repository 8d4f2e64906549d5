using Credits.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>The problem+json answers of spends, grants and holds.</summary>
public static class CreditProblems
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static ProblemHttpResult UnknownUser(string id) =>
        Problems.NotFound($"No user '{id}'. Create it with PUT /api/users/{id}, or it appears with its first purchase; nothing was changed.");

    public static ProblemHttpResult Insufficient(string id, long requested, Funds funds, string what) =>
        TypedResults.Problem(
            $"User '{id}' has {funds.Available} credits available (balance {funds.Balance}, held {funds.Held}); {what} needs {requested}. Nothing was charged.",
            statusCode: StatusCodes.Status402PaymentRequired,
            title: "Insufficient credits",
            extensions: new Dictionary<string, object?>
            {
                ["balance"] = funds.Balance,
                ["held"] = funds.Held,
                ["available"] = funds.Available,
                ["requested"] = requested,
            });

    /// <summary>Null with the key when the header is present and well formed.</summary>
    public static ProblemHttpResult? ReadKey(HttpRequest request, out string key)
    {
        key = request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length == 0)
        {
            return Problems.BadRequest("Missing Idempotency-Key",
                "Send an Idempotency-Key header (e.g. a UUID per logical operation); retrying with the same key can then never charge or grant twice.");
        }
        return IdempotencyKeys.IsValid(key)
            ? null
            : Problems.BadRequest("Invalid Idempotency-Key", $"The Idempotency-Key must be 1 to {IdempotencyKeys.MaxLength} printable ASCII characters without spaces.");
    }

    public static ProblemHttpResult? ReadReason(string? reason, bool required)
    {
        const int max = 500;
        if (string.IsNullOrWhiteSpace(reason))
        {
            return required ? Problems.BadRequest("Missing reason", "reason is required: say why these credits are given (it is kept in the ledger).") : null;
        }
        if (reason.Length > max)
        {
            return Problems.BadRequest("Invalid reason", $"reason must be at most {max} characters.");
        }
        return reason.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            ? Problems.BadRequest("Invalid reason", "reason must not contain control characters other than tabs and line breaks.")
            : null;
    }
}
