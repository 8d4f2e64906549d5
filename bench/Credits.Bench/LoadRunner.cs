using System.Diagnostics;
using System.Net.Sockets;

namespace Credits.Bench;

/// <summary>
/// N senders, each with one keep-alive HTTP/1.1 connection of its own, each taking the next
/// pre-built request until they run out or the deadline passes. Every request that was started is
/// awaited before the clock stops, so the rate counts answered requests only.
/// The sends go through <see cref="RawHttpConnection"/> rather than HttpClient because the load
/// generator shares the machine's two cores with the server and database it measures: HttpClient's
/// per-request machinery (message and header objects, pool, content streams) cost about 130 µs of
/// CPU per request, a quarter of the server's own, all of it taken from the server.
/// Connections outlive a run, so the measured phase starts on connections the warm-up opened.
/// </summary>
public sealed class LoadRunner(Uri baseUri, string apiKey, int senders) : IDisposable
{
    public const int NetworkError = 0;
    public const int NotSent = -1;

    private readonly RawHttpConnection[] _connections = [.. Enumerable.Range(0, senders).Select(_ => new RawHttpConnection(baseUri, apiKey))];

    public async Task<LoadResult> RunAsync(BenchRequest[] requests, TimeSpan duration, CancellationToken cancellationToken)
    {
        var statuses = new int[requests.Length];
        Array.Fill(statuses, NotSent);
        var latencies = new long[requests.Length];
        var next = -1;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        var started = Stopwatch.GetTimestamp();
        var tasks = new Task[senders];
        for (var s = 0; s < senders; s++)
        {
            var connection = _connections[s];
            tasks[s] = Task.Run(async () =>
            {
                int i;
                while (Stopwatch.GetTimestamp() < deadline && (i = Interlocked.Increment(ref next)) < requests.Length)
                {
                    var begin = Stopwatch.GetTimestamp();
                    int status;
                    try
                    {
                        status = await connection.PostAsync(requests[i], cancellationToken);
                    }
                    catch (Exception e) when (e is IOException or SocketException)
                    {
                        // The connection has closed itself; the next request reconnects.
                        status = NetworkError;
                    }
                    statuses[i] = status;
                    latencies[i] = Stopwatch.GetTimestamp() - begin;
                }
            }, cancellationToken);
        }
        await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new LoadResult(requests, statuses, latencies, elapsed);
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }
}
