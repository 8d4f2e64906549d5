using System.Text.Json;
using Credits.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>
/// Reads a whole, positive, bounded number from a JSON field, with an answer a person can act on
/// ("credits must be a whole number") rather than a converter's type name.
/// </summary>
public static class CreditAmount
{
    public static ProblemHttpResult? Read(JsonElement? value, string field, long max, out long amount)
    {
        amount = 0;
        var range = $"a whole number from 1 to {max}";
        if (value is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return Problems.BadRequest($"Missing {field}", $"{field} is required: {range}.");
        }
        if (element.ValueKind != JsonValueKind.Number)
        {
            return Problems.BadRequest($"Invalid {field}", $"{field} must be a JSON number ({range}), not {Kind(element.ValueKind)}.");
        }
        if (!element.TryGetInt64(out amount))
        {
            var number = element.GetDouble();
            return number == Math.Floor(number)
                ? Problems.BadRequest($"Invalid {field}", $"{field} {element.GetRawText()} is too large: it must be {range}.")
                : Problems.BadRequest($"Invalid {field}", $"{field} must be {range}; {element.GetRawText()} is not whole.");
        }
        if (amount <= 0)
        {
            return Problems.BadRequest($"Invalid {field}", $"{field} must be {range}; got {amount}.");
        }
        return amount > max
            ? Problems.BadRequest($"Invalid {field}", $"{field} {amount} is too large: it must be {range}.")
            : null;
    }

    public static ProblemHttpResult? ReadCredits(JsonElement? value, out long credits) =>
        Read(value, "credits", CreditLimits.MaxCredits, out credits);

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
