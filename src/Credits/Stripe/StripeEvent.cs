using System.Text.Json;

namespace Credits.Stripe;

/// <summary>
/// The envelope of a Stripe event, read straight from the JSON: only the fields we use, and no
/// dependence on the endpoint's api_version matching the SDK's.
/// </summary>
public sealed class StripeEvent : IDisposable
{
    public const string NotJson = "not_json";
    public const string NotAnEvent = "not_an_event";

    private const int MaxIdLength = 255;
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    private readonly JsonDocument _document;

    private StripeEvent(JsonDocument document, string id, string type, JsonElement dataObject, string payload)
    {
        _document = document;
        Id = id;
        Type = type;
        Object = dataObject;
        Payload = payload;
    }

    public string Id { get; }
    public string Type { get; }
    public string Payload { get; }
    public JsonElement Object { get; }
    public long? Created { get; private init; }
    public bool? Livemode { get; private init; }
    public string? ApiVersion { get; private init; }

    /// <summary>data.previous_attributes, when Stripe sent it.</summary>
    public JsonElement? PreviousAttributes { get; private init; }

    /// <summary>The id of data.object, when it has one.</summary>
    public string? ObjectId => Object.Text("id");

    public static StripeEvent? TryParse(ReadOnlyMemory<byte> utf8, out string? error) => TryParse(utf8, out error, out _, out _);

    /// <summary>
    /// <paramref name="refusal"/> says why a body was refused, for the metric (<see cref="EventText"/>'s
    /// reasons, nul, not_json, not_an_event); <paramref name="field"/> names the string that is not
    /// valid Unicode, when one is.
    /// </summary>
    public static StripeEvent? TryParse(ReadOnlyMemory<byte> utf8, out string? error, out string? refusal, out string? field)
    {
        field = null;
        // JSON must be UTF-8 and its strings valid Unicode; .NET throws when it reads a string that
        // is not (a lone surrogate escape, bad bytes), so every string is checked before anything
        // reads one, and the answer names the field.
        if (EventText.FindInvalid(utf8.Span) is { } invalid)
        {
            (error, refusal, field) = ($"The event's {invalid.Describe()}; Stripe never sends such text. Nothing was stored.", invalid.Reason, invalid.Field);
            return null;
        }
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            (error, refusal) = ("The body is not valid UTF-8; Stripe sends a JSON event object encoded as UTF-8.", EventText.NotUtf8);
            return null;
        }
        // A NUL (only ever written \u0000 in JSON) is in no Stripe event, PostgreSQL cannot store it
        // in text, and .NET's number parsing ignores trailing NULs ("50\u0000" would read as 50).
        if (utf8.Span.IndexOf("\\u0000"u8) >= 0)
        {
            (error, refusal) = ("The body contains a NUL character (\\u0000), which no Stripe event carries.", "nul");
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException)
        {
            (error, refusal) = ("The body is not valid JSON (or nests deeper than 64 levels); Stripe sends a JSON event object.", NotJson);
            return null;
        }

        refusal = NotAnEvent;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || root.Text("object") != "event")
        {
            document.Dispose();
            error = "The body is JSON but not a Stripe event: expected an object with \"object\": \"event\".";
            return null;
        }
        var id = root.Text("id");
        var type = root.Text("type");
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength || string.IsNullOrEmpty(type) || type.Length > MaxIdLength)
        {
            document.Dispose();
            error = "The event has no usable \"id\" or \"type\" string.";
            return null;
        }
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            error = $"Event {id} has no data.object; every Stripe event carries the object it is about.";
            return null;
        }

        (error, refusal) = (null, null);
        return new StripeEvent(document, id, type, dataObject, System.Text.Encoding.UTF8.GetString(utf8.Span))
        {
            Created = root.Integer("created"),
            Livemode = root.Boolean("livemode"),
            ApiVersion = root.Text("api_version"),
            PreviousAttributes = data.TryGetProperty("previous_attributes", out var previous) && previous.ValueKind == JsonValueKind.Object
                ? previous
                : null,
        };
    }

    public void Dispose() => _document.Dispose();
}
