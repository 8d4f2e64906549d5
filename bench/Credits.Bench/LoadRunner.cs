using System.Diagnostics;
using System.Net.Http.Headers;

namespace Credits.Bench;

/// <summary>
/// N senders over one keep-alive connection pool, each taking the next pre-built request until
/// they run out or the deadline passes. Every request that was started is awaited before the
/// clock stops, so the rate counts answered requests only.
/// </summary>
public sealed class LoadRunner(HttpClient client, int senders)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public const int NetworkError = 0;
    public const int NotSent = -1;

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
            tasks[s] = Task.Run(async () =>
            {
                int i;
                while (Stopwatch.GetTimestamp() < deadline && (i = Interlocked.Increment(ref next)) < requests.Length)
                {
                    var begin = Stopwatch.GetTimestamp();
                    statuses[i] = await SendAsync(requests[i], cancellationToken);
                    latencies[i] = Stopwatch.GetTimestamp() - begin;
                }
            }, cancellationToken);
        }
        await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new LoadResult(requests, statuses, latencies, elapsed);
    }

    private async Task<int> SendAsync(BenchRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = new ByteArrayContent(request.Body) };
        message.Content.Headers.ContentType = Json;
        message.Headers.TryAddWithoutValidation(request.HeaderName, request.HeaderValue);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return NetworkError;
        }
    }
}
