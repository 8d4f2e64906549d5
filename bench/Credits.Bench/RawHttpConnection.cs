using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Sockets;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Credits.Bench;

/// <summary>
/// One keep-alive HTTP/1.1 connection that POSTs pre-built requests and keeps only the status code.
/// The body is skipped by its Content-Length or chunked framing, so the next response is read from
/// the right byte. Deliberately minimal (plain http, no redirects, no pipelining, one request at a
/// time): every microsecond of CPU spent here is taken from the server being measured.
/// Not thread-safe; one per sender. Failures throw <see cref="IOException"/> or
/// <see cref="SocketException"/> after closing the socket, so the next request reconnects.
/// </summary>
public sealed class RawHttpConnection(Uri baseUri, string apiKey) : IDisposable
{
    // HttpClient's timeout in the old sending path; a hung server must end the run, not stall it.
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    // Idle this long, the server's keep-alive timer may have closed the connection under us.
    private static readonly long IdleCheckTicks = Stopwatch.Frequency;

    private readonly Uri _uri = baseUri.Scheme == Uri.UriSchemeHttp
        ? baseUri
        : throw new ArgumentException($"Only http:// is supported, not {baseUri.Scheme}://: the load generator speaks plain HTTP/1.1.", nameof(baseUri));

    // Everything but the request line, the per-request header and Content-Length is the same for every request.
    private readonly byte[] _fixedHeaders = Encoding.UTF8.GetBytes(
        $"Host: {baseUri.Host}:{baseUri.Port}\r\nContent-Type: application/json\r\nAuthorization: Bearer {apiKey}\r\n");

    private readonly byte[] _receive = new byte[16 * 1024];
    private byte[] _send = new byte[4 * 1024];
    private int _start;
    private int _end;
    private Socket? _socket;
    private long _lastAnswer;
    private CancellationTokenSource? _timeout;
    private CancellationToken _timeoutLinkedTo;

    /// <summary>Sends one request and returns the status code once the whole response has been read.</summary>
    // Pooled builders here and on the other methods that suspend on every request: no allocation per request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> PostAsync(BenchRequest request, CancellationToken cancellationToken)
    {
        var token = ArmTimeout(cancellationToken);
        try
        {
            var socket = await ConnectedAsync(token);
            var length = WriteRequest(request); // may replace _send with a larger buffer
            var pending = _send.AsMemory(0, length);
            while (!pending.IsEmpty)
            {
                pending = pending[await socket.SendAsync(pending, SocketFlags.None, token)..];
            }
            var status = await ReadResponseAsync(socket, token);
            _lastAnswer = Stopwatch.GetTimestamp();
            return status;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Close();
            throw new TimeoutException($"No answer from {_uri.Authority} within {AnswerTimeout.TotalSeconds} s.");
        }
        catch
        {
            Close();
            throw;
        }
        finally
        {
            DisarmTimeout();
        }
    }

    public void Dispose()
    {
        Close();
        _timeout?.Dispose();
    }

    private CancellationToken ArmTimeout(CancellationToken cancellationToken)
    {
        // One linked source per connection, re-armed per request, rather than one allocated per request.
        if (_timeout is null || _timeoutLinkedTo != cancellationToken)
        {
            _timeout?.Dispose();
            _timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _timeoutLinkedTo = cancellationToken;
        }
        _timeout.CancelAfter(AnswerTimeout);
        return _timeout.Token;
    }

    private void DisarmTimeout()
    {
        if (_timeout is { } timeout && !timeout.TryReset())
        {
            timeout.Dispose();
            _timeout = null;
        }
    }

    private async ValueTask<Socket> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_socket is { } open)
        {
            // Anything readable on an idle keep-alive connection is the server's FIN (or junk): start afresh
            // instead of turning its close into a network error on the next request.
            if (Stopwatch.GetTimestamp() - _lastAnswer < IdleCheckTicks || !open.Poll(0, SelectMode.SelectRead))
            {
                return open;
            }
            Close();
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_uri.IdnHost, _uri.Port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        return socket;
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    /// <summary>Writes request line, headers and body into the send buffer, so one send carries it all.</summary>
    private int WriteRequest(BenchRequest request)
    {
        var utf8 = Encoding.UTF8;
        var most = 64 + _fixedHeaders.Length + request.Body.Length
            + utf8.GetMaxByteCount(request.Path.Length + request.HeaderName.Length + request.HeaderValue.Length);
        if (_send.Length < most)
        {
            _send = new byte[BitOperations.RoundUpToPowerOf2((uint)most)];
        }
        var buffer = _send.AsSpan();
        var n = Put(buffer, "POST "u8);
        n += utf8.GetBytes(request.Path, buffer[n..]);
        n += Put(buffer[n..], " HTTP/1.1\r\n"u8);
        n += Put(buffer[n..], _fixedHeaders);
        n += utf8.GetBytes(request.HeaderName, buffer[n..]);
        n += Put(buffer[n..], ": "u8);
        n += utf8.GetBytes(request.HeaderValue, buffer[n..]);
        n += Put(buffer[n..], "\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(request.Body.Length, buffer[n..], out var digits);
        n += digits;
        n += Put(buffer[n..], "\r\n\r\n"u8);
        return n + Put(buffer[n..], request.Body);
    }

    private static int Put(Span<byte> destination, ReadOnlySpan<byte> source)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadResponseAsync(Socket socket, CancellationToken cancellationToken)
    {
        int status;
        Http1.Framing framing;
        do // an interim answer (100 Continue, 103 Early Hints) has no body, and the real one follows it
        {
            var length = await LineAsync(socket, cancellationToken);
            (status, var close) = Http1.StatusLine(_receive.AsSpan(_start, length));
            _start += length + 2;
            framing = new Http1.Framing(close);
            while ((length = await LineAsync(socket, cancellationToken)) > 0)
            {
                framing = framing.With(_receive.AsSpan(_start, length));
                _start += length + 2;
            }
            _start += 2;
        }
        while (status < 200);

        if (status is 204 or 304)
        {
            // No body, whatever the headers say.
        }
        else if (framing.Chunked)
        {
            await SkipChunkedAsync(socket, cancellationToken);
        }
        else if (framing.ContentLength >= 0)
        {
            await SkipAsync(socket, framing.ContentLength, cancellationToken);
        }
        else
        {
            // Neither length nor chunks: the body ends where the connection does.
            _start = _end = 0;
            while (await socket.ReceiveAsync(_receive, SocketFlags.None, cancellationToken) > 0)
            {
                _start = _end = 0;
            }
            framing = framing with { Close = true };
        }
        if (framing.Close)
        {
            Close();
        }
        return status;
    }

    private async ValueTask SkipChunkedAsync(Socket socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            var length = await LineAsync(socket, cancellationToken);
            var size = Http1.ChunkSize(_receive.AsSpan(_start, length));
            _start += length + 2;
            if (size == 0)
            {
                break;
            }
            await SkipAsync(socket, size, cancellationToken);
            if (await LineAsync(socket, cancellationToken) != 0)
            {
                throw new HttpIOException(HttpRequestError.InvalidResponse, "A chunk is longer than its size line says.");
            }
            _start += 2;
        }
        // Trailer fields, if any, up to the empty line that ends the message.
        int trailer;
        while ((trailer = await LineAsync(socket, cancellationToken)) > 0)
        {
            _start += trailer + 2;
        }
        _start += 2;
    }

    private async ValueTask SkipAsync(Socket socket, long count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            count -= _end - _start;
            _start = _end;
            await FillAsync(socket, cancellationToken);
        }
        _start += (int)count;
    }

    /// <summary>Length of the line at the read position (CRLF excluded), receiving until a whole line is buffered.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> LineAsync(Socket socket, CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var at = _receive.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n"u8);
            if (at >= 0)
            {
                return searched + at;
            }
            // The CR may be the last byte buffered, with its LF still to come.
            searched = Math.Max(0, _end - _start - 1);
            await FillAsync(socket, cancellationToken);
        }
    }

    /// <summary>Receives at least one more byte after the buffered ones, making room at the front if needed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _receive.Length)
        {
            if (_start == 0)
            {
                throw new HttpIOException(HttpRequestError.InvalidResponse, $"A response line is longer than {_receive.Length} bytes.");
            }
            _receive.AsSpan(_start.._end).CopyTo(_receive);
            _end -= _start;
            _start = 0;
        }
        var read = await socket.ReceiveAsync(_receive.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new HttpIOException(HttpRequestError.ResponseEnded, "The server closed the connection before the response ended.");
        }
        _end += read;
    }
}
