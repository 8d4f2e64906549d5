using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Credits.Stripe;

/// <summary>
/// Finds the first string of an event body that is not valid Unicode, before anything reads it.
/// JSON syntax allows a lone surrogate escape (<c>"\ud800"</c>) and, on the wire, any bytes inside a
/// string; .NET throws when such a string is read, so every one must be refused up front, with the
/// field named. Non-characters (U+FFFE, U+FDD0, ...) are valid text but never part of an id, so
/// they are refused in id fields only.
/// </summary>
public static class EventText
{
    public const string NotUtf8 = "not_utf8";
    public const string LoneSurrogate = "lone_surrogate";
    public const string Noncharacter = "noncharacter";

    private const int MaxSegment = 64;
    private const int MaxPath = 300;

    /// <summary>Fields Credits reads as ids or codes, besides every <c>*_id</c>.</summary>
    private static readonly HashSet<string> IdFields = new(StringComparer.Ordinal)
    {
        "id", "object", "type", "api_version", "customer", "payment_intent", "charge", "latest_charge", "price", "currency", "status",
        "payment_status", "mode",
    };

    private static readonly byte[][] IdFieldsUtf8 = [.. IdFields.Select(Encoding.UTF8.GetBytes)];

    /// <summary>A string that is not valid Unicode: where it is (a JSON path) and what is wrong (a metric reason).</summary>
    public sealed record Invalid(string Field, string Reason)
    {
        public string Describe() => Reason switch
        {
            LoneSurrogate => $"{Field} is not valid Unicode: it holds a lone surrogate escape (a \\ud800-\\udfff without its pair)",
            Noncharacter => $"{Field} holds a Unicode non-character (such as U+FFFE or U+FDD0), which no id contains",
            _ => $"{Field} is not valid UTF-8 (an overlong form, a surrogate or a stray byte)",
        };
    }

    /// <summary>Null when every string is valid (or the body is not JSON: the parser says so next).</summary>
    public static Invalid? FindInvalid(ReadOnlySpan<byte> utf8)
    {
        // Plain ASCII without escapes cannot hold any of it: the common case costs one vectorised scan.
        if (Ascii.IsValid(utf8) && utf8.IndexOf("\\u"u8) < 0)
        {
            return null;
        }
        try
        {
            return Walk(utf8);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// One pass of the reader over the raw bytes; property names are kept as offsets into the body,
    /// so nothing is allocated unless a problem is found. Measured on a 3.6 KB event with non-ASCII
    /// text: about 17 µs, against 10 µs for JsonDocument.Parse of the same bytes (docs/benchmarks.md).
    /// </summary>
    private static Invalid? Walk(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        var frames = new List<Frame>();
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                frames.RemoveAt(frames.Count - 1);
                continue;
            }
            if (token == JsonTokenType.PropertyName)
            {
                frames[^1] = frames[^1] with { NameStart = -1 };
                if (Check(reader.ValueSpan, reader.ValueIsEscaped) is { } nameProblem)
                {
                    return new Invalid($"{Path(utf8, frames)} (a property name)", nameProblem);
                }
                // TokenStartIndex is the opening quote; ValueSpan is the raw text between the quotes.
                frames[^1] = frames[^1] with
                {
                    NameStart = (int)reader.TokenStartIndex + 1, NameLength = reader.ValueSpan.Length, NameEscaped = reader.ValueIsEscaped,
                };
                continue;
            }
            if (frames.Count > 0 && frames[^1].IsArray)
            {
                frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
            }
            if (token == JsonTokenType.String)
            {
                if (Check(reader.ValueSpan, reader.ValueIsEscaped) is { } problem)
                {
                    return new Invalid(Path(utf8, frames), problem);
                }
                if (frames.Count > 0 && IsIdField(utf8, frames[^1])
                    && (reader.ValueIsEscaped ? HasNoncharacter(reader.GetString()!) : HasNoncharacter(reader.ValueSpan)))
                {
                    return new Invalid(Path(utf8, frames), Noncharacter);
                }
            }
            else if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                frames.Add(new Frame(token == JsonTokenType.StartArray, -1, -1, 0, false));
            }
        }
        return null;
    }

    private static bool IsIdField(ReadOnlySpan<byte> utf8, Frame frame)
    {
        if (frame.IsArray || frame.NameStart < 0)
        {
            return false;
        }
        var raw = utf8.Slice(frame.NameStart, frame.NameLength);
        if (!frame.NameEscaped)
        {
            if (raw.EndsWith("_id"u8))
            {
                return true;
            }
            foreach (var id in IdFieldsUtf8)
            {
                if (raw.SequenceEqual(id))
                {
                    return true;
                }
            }
            return false;
        }
        var name = Name(utf8, frame);
        return IdFields.Contains(name) || name.EndsWith("_id", StringComparison.Ordinal);
    }

    private static string Name(ReadOnlySpan<byte> utf8, Frame frame)
    {
        var raw = utf8.Slice(frame.NameStart, frame.NameLength);
        if (!frame.NameEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }
        var quoted = new Utf8JsonReader([(byte)'"', .. raw, (byte)'"']);
        quoted.Read();
        return quoted.GetString()!;
    }

    /// <summary>The reason a raw (still escaped) JSON string is not valid text, or null.</summary>
    private static string? Check(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!Utf8.IsValid(raw))
        {
            return NotUtf8;
        }
        if (!escaped)
        {
            return null;
        }
        var pendingHigh = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                if (pendingHigh)
                {
                    return LoneSurrogate;
                }
                continue;
            }
            i++;
            if (raw[i] != 'u')
            {
                if (pendingHigh)
                {
                    return LoneSurrogate;
                }
                continue;
            }
            var unit = Hex(raw.Slice(i + 1, 4));
            i += 4;
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!pendingHigh)
                {
                    return LoneSurrogate;
                }
                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return LoneSurrogate;
            }
            else
            {
                pendingHigh = unit is >= 0xD800 and <= 0xDBFF;
            }
        }
        return pendingHigh ? LoneSurrogate : null;
    }

    private static int Hex(ReadOnlySpan<byte> four)
    {
        var value = 0;
        foreach (var b in four)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }
        return value;
    }

    private static bool IsNoncharacter(Rune rune) => rune.Value is >= 0xFDD0 and <= 0xFDEF || (rune.Value & 0xFFFE) == 0xFFFE;

    private static bool HasNoncharacter(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsNoncharacter(rune))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The same over valid UTF-8, without decoding to a string.</summary>
    private static bool HasNoncharacter(ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            Rune.DecodeFromUtf8(utf8, out var rune, out var consumed);
            if (IsNoncharacter(rune))
            {
                return true;
            }
            utf8 = utf8[consumed..];
        }
        return false;
    }

    /// <summary>data.object.metadata.user_id, shown safely: a sender's property names are printable ASCII here, and short.</summary>
    private static string Path(ReadOnlySpan<byte> utf8, List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.NameStart >= 0)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }
                var name = Name(utf8, frame);
                foreach (var c in name.Length > MaxSegment ? name[..MaxSegment] + "…" : name)
                {
                    path.Append(c is >= ' ' and <= '~' or '…' ? c.ToString() : $"\\u{(int)c:x4}");
                }
            }
            if (path.Length > MaxPath)
            {
                return path.ToString(0, MaxPath) + "…";
            }
        }
        return path.Length == 0 ? "the body" : path.ToString();
    }

    /// <summary>An open object or array: the array's current index, or the object's current property name (offsets into the body).</summary>
    private readonly record struct Frame(bool IsArray, int Index, int NameStart, int NameLength, bool NameEscaped);
}
