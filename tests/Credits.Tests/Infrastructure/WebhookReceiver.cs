using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StandardWebhooks;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// A real HTTP receiver on loopback (Kestrel), standing in for the platform: it records every
/// request Credits sends and answers with <see cref="Answer"/> (200 unless a test says otherwise).
/// Tests check each delivery with the StandardWebhooks package's own verifier, not our signer.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>The status code for the next request; may look at how many came before.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;

    /// <summary>How long each request waits before it is answered.</summary>
    public TimeSpan Delay { get; set; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The most requests that were being answered at the same moment for one webhook-id.</summary>
    public ConcurrentDictionary<string, int> Concurrent { get; } = new();

    public int MaxInFlightPerMessage => Concurrent.Values.DefaultIfEmpty(0).Max();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        var current = new ConcurrentDictionary<string, int>();
        app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var id = request.Headers["webhook-id"].ToString();
            var now = current.AddOrUpdate(id, 1, (_, n) => n + 1);
            receiver.Concurrent.AddOrUpdate(id, now, (_, n) => Math.Max(n, now));
            try
            {
                var index = Interlocked.Increment(ref receiver._count) - 1;
                receiver.Requests.Enqueue(new Received(id, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
                if (receiver.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(receiver.Delay);
                }
                return Results.StatusCode(receiver.Answer(index));
            }
            finally
            {
                current.AddOrUpdate(id, 0, (_, n) => n - 1);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = $"{address}/hooks";
        return receiver;
    }

    /// <summary>Every request so far, each verified with <paramref name="secret"/> by the StandardWebhooks package (throws if one fails).</summary>
    public IReadOnlyList<Received> Verified(string secret)
    {
        var verifier = new StandardWebhook(secret);
        var all = Requests.ToArray();
        foreach (var request in all)
        {
            var headers = new HeaderDictionary();
            foreach (var (key, value) in request.Headers)
            {
                headers[key] = value;
            }
            verifier.Verify(request.Body, headers);
        }
        return all;
    }

    /// <summary>Waits (real time) until <paramref name="done"/> holds for the requests received.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan? timeout = null, Action? tick = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!done(Requests.ToArray()))
        {
            Assert.True(DateTime.UtcNow < until, $"The receiver did not get what was expected in time; it has {Requests.Count} requests: "
                + string.Join(", ", Requests.Select(r => r.Type)));
            tick?.Invoke();
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string Id, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

        public string Type => Json.GetProperty("type").GetString()!;

        public JsonElement Data => Json.GetProperty("data");
    }
}
