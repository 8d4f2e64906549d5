using System.Text.Json.Nodes;

namespace Credits.Tests.Hostile;

/// <summary>Ways to make a well-formed Stripe event wrong: every field reachable, every field of the wrong type.</summary>
public static class HostileJson
{
    public static IEnumerable<(JsonObject Parent, string Key)> Leaves(JsonNode node)
    {
        if (node is not JsonObject obj)
        {
            yield break;
        }
        foreach (var (key, value) in obj.ToList())
        {
            yield return (obj, key);
            if (value is JsonObject child)
            {
                foreach (var leaf in Leaves(child))
                {
                    yield return leaf;
                }
            }
        }
    }

    /// <summary>Numbers as strings, strings as numbers, and values of no sensible type at all.</summary>
    public static JsonNode? Confused(JsonNode? value, int choice)
    {
        var text = value?.ToJsonString() ?? "null";
        return ((uint)choice % 12) switch
        {
            0 => JsonValue.Create(text.Trim('"')),
            1 => JsonValue.Create(long.TryParse(text.Trim('"'), out var n) ? n : text.Length),
            2 => null,
            3 => JsonValue.Create(true),
            4 => new JsonArray(JsonValue.Create(text)),
            5 => new JsonObject { ["id"] = text },
            6 => JsonValue.Create(-1),
            7 => JsonNode.Parse("1e400"),
            8 => JsonValue.Create(long.MaxValue),
            9 => JsonValue.Create(decimal.MaxValue),
            10 => JsonValue.Create(new string('9', 400)),
            _ => JsonValue.Create("\0\u202E" + text),
        };
    }
}
