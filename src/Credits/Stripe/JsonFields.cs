using System.Text.Json;

namespace Credits.Stripe;

/// <summary>
/// Strict field readers: a field of the wrong JSON type reads as absent, never as a guess
/// (a number sent as a string is not a number).
/// </summary>
public static class JsonFields
{
    public static string? Text(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static long? Integer(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;

    public static bool? Boolean(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
        && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    public static JsonElement? Child(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    /// <summary>An id field that Stripe may send as "xx_123" or, when expanded, as an object with an id.</summary>
    public static string? Reference(this JsonElement element, string name) =>
        element.Text(name) ?? element.Child(name)?.Text("id");
}
