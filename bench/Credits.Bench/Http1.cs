using System.Buffers.Text;
using System.Text;

namespace Credits.Bench;

/// <summary>
/// The few parts of an HTTP/1.x response head that <see cref="RawHttpConnection"/> needs: the status
/// code and how the body is framed. Everything else is skipped unparsed, since it costs CPU the
/// server under test could have used.
/// </summary>
internal static class Http1
{
    /// <summary>Status code, and whether the connection closes by default (HTTP/1.0) after this response.</summary>
    public static (int Status, bool Close) StatusLine(ReadOnlySpan<byte> line)
    {
        // "HTTP/1.1 200 OK"; the reason phrase may be empty, but the code is always three digits.
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != ' '
            || !Utf8Parser.TryParse(line.Slice(9, 3), out int status, out var consumed) || consumed != 3 || status < 100
            || (line.Length > 12 && line[12] != ' '))
        {
            throw Invalid($"Not an HTTP/1.x status line: \"{Printable(line)}\".");
        }
        return (status, line[7] == '0');
    }

    /// <summary>Size of a chunk from its size line ("1a3" or "1a3;name=value").</summary>
    public static long ChunkSize(ReadOnlySpan<byte> line)
    {
        if (!Utf8Parser.TryParse(line, out long size, out var consumed, 'x') || size < 0
            || (consumed < line.Length && line[consumed] is not ((byte)';' or (byte)' ' or (byte)'\t')))
        {
            throw Invalid($"Not a chunk size line: \"{Printable(line)}\".");
        }
        return size;
    }

    /// <summary>How the body of one response ends, and whether the connection ends with it.</summary>
    public readonly record struct Framing(bool Close, long ContentLength = -1, bool Chunked = false)
    {
        /// <summary>This framing updated by one header field line; names are case-insensitive, as HTTP says.</summary>
        public Framing With(ReadOnlySpan<byte> line)
        {
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Invalid($"Not a header field: \"{Printable(line)}\".");
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var consumed) || consumed != value.Length || length < 0)
                {
                    throw Invalid($"Bad Content-Length: \"{Printable(value)}\".");
                }
                return this with { ContentLength = length };
            }
            if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Chunked is always the last coding when present.
                return this with { Chunked = LastToken(value, "chunked"u8) };
            }
            if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                return this with { Close = HasToken(value, "close"u8) || (Close && !HasToken(value, "keep-alive"u8)) };
            }
            return this;
        }

        private static bool HasToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
        {
            while (!list.IsEmpty)
            {
                var comma = list.IndexOf((byte)',');
                var item = (comma < 0 ? list : list[..comma]).Trim(" \t"u8);
                if (Ascii.EqualsIgnoreCase(item, token))
                {
                    return true;
                }
                list = comma < 0 ? [] : list[(comma + 1)..];
            }
            return false;
        }

        private static bool LastToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
        {
            var comma = list.LastIndexOf((byte)',');
            return Ascii.EqualsIgnoreCase((comma < 0 ? list : list[(comma + 1)..]).Trim(" \t"u8), token);
        }
    }

    private static HttpIOException Invalid(string message) => new(HttpRequestError.InvalidResponse, message);

    private static string Printable(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes[..Math.Min(bytes.Length, 80)]);
}
