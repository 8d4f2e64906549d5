using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>
/// Slow senders cannot starve the webhook (ServerLimits, WebhookBodyGate) on the real server
/// process: 500 connections trickling headers or bodies cost little memory and delay nobody, a
/// body slower than 8 KB/s is cut off, and CREDITS_MAX_CONNECTIONS caps open connections. Only
/// generous bounds are asserted; speed is for the benchmarks.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class SlowSenderTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    private const long MaxRssBytes = 300L * 1024 * 1024;
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Five_hundred_slow_connections_delay_no_webhook_and_stay_under_300_MB()
    {
        await using var server = await ServerProcess.StartAsync(db);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peakRss = 0L;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Rss(server.ProcessId));
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);

        var bodies = new List<TcpClient>();
        var headers = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 250; i++)
            {
                bodies.Add(await OpenAsync(server, $"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nStripe-Signature: t=1,v1={new string('0', 64)}\r\nContent-Length: 200000\r\n\r\n{{"));
                headers.Add(await OpenAsync(server, "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nX-Slow: "));
            }
            var trickle = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    foreach (var tcp in bodies.Concat(headers))
                    {
                        try
                        {
                            await tcp.GetStream().WriteAsync("a"u8.ToArray(), CancellationToken.None);
                        }
                        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
                        {
                        }
                    }
                    await Task.Delay(1000, CancellationToken.None);
                }
            }, CancellationToken.None);

            // Real deliveries while all 500 are open: each answered 200 within a generous bound.
            var users = Enumerable.Range(0, 20).Select(_ => StripeEvents.NewId("u_slow")).ToList();
            var deliveries = users.Select(async user =>
            {
                var clock = Stopwatch.StartNew();
                using var response = await server.PostEventAsync(StripeEvents.Paid(user, 3), cancellationToken);
                return (response.StatusCode, clock.Elapsed);
            }).ToList();
            foreach (var (status, elapsed) in await Task.WhenAll(deliveries))
            {
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.True(elapsed < Prompt, $"a webhook took {elapsed.TotalSeconds:F1} s behind 500 slow connections");
            }
            await using var checks = new LedgerChecks(db.Settings());
            var balances = await checks.BalancesAsync();
            Assert.All(users, user => Assert.Equal(3, balances[user]));

            // Slow bodies are cut off by the minimum body rate, slow headers by the header timeout.
            var cutOff = await Task.WhenAll(bodies.Concat(headers).Select(tcp => ClosedWithinAsync(tcp, TimeSpan.FromSeconds(45))));
            Assert.True(cutOff.All(c => c), $"{cutOff.Count(c => !c)} of 500 slow connections were still open after 45 s");
            Assert.False(server.HasExited, server.Output);
            await stop.CancelAsync();
            await trickle;
        }
        finally
        {
            await stop.CancelAsync();
            await sampler;
            foreach (var tcp in bodies.Concat(headers))
            {
                tcp.Dispose();
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"server RSS peaked at {peakRss / (1024 * 1024)} MB with 500 slow connections open");
        Assert.True(peakRss is > 0 and < MaxRssBytes, $"server RSS peaked at {peakRss / (1024 * 1024)} MB");
    }

    [Fact]
    public async Task A_body_slower_than_8_KB_per_second_is_cut_off_long_before_it_ends()
    {
        await using var server = await ServerProcess.StartAsync(db);
        // 200 KB at 4 KB/s would take 50 s; the old 1 KB/s floor let it finish.
        using var tcp = await OpenAsync(server, $"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n");
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var chunk = new byte[1024];
        chunk.AsSpan().Fill((byte)' ');
        var closed = ClosedWithinAsync(tcp, TimeSpan.FromSeconds(60));
        while (!closed.IsCompleted && sent < 200_000)
        {
            try
            {
                await tcp.GetStream().WriteAsync(chunk, TestContext.Current.CancellationToken);
                sent += chunk.Length;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                break;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.True(await closed, "the server never closed a 4 KB/s body");
        Assert.True(sent < 100_000, $"the server read {sent} bytes at 4 KB/s ({clock.Elapsed.TotalSeconds:F0} s) before cutting the sender off");
    }

    [Fact]
    public async Task Large_unauthenticated_bodies_are_read_16_at_a_time_and_small_ones_never_wait()
    {
        await using var server = await ServerProcess.StartAsync(db);
        var cancellationToken = TestContext.Current.CancellationToken;
        const string head = "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
        var start = new byte[80 * 1024];
        start.AsSpan().Fill((byte)' ');
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var holders = new List<TcpClient>();
        try
        {
            // 16 large bodies, fast enough for the rate floor (80 KB at once, then 16 KB/s): they take every slot.
            for (var i = 0; i < 16; i++)
            {
                var tcp = await OpenAsync(server, head);
                await tcp.GetStream().WriteAsync(start, cancellationToken);
                holders.Add(tcp);
            }
            var keepUp = Task.Run(async () =>
            {
                var chunk = new byte[4 * 1024];
                chunk.AsSpan().Fill((byte)' ');
                while (!stop.IsCancellationRequested)
                {
                    foreach (var tcp in holders)
                    {
                        try
                        {
                            await tcp.GetStream().WriteAsync(chunk, CancellationToken.None);
                        }
                        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                        {
                        }
                    }
                    await Task.Delay(250, CancellationToken.None);
                }
            }, CancellationToken.None);
            await Task.Delay(1000, cancellationToken);

            // A 17th waits for a slot, then is told to come back later; nothing is read past 64 KiB.
            using var seventeenth = await OpenAsync(server, head);
            await seventeenth.GetStream().WriteAsync(start, cancellationToken);
            var answer = ReadStatusLineAsync(seventeenth, TimeSpan.FromSeconds(40));

            // Meanwhile a real (small) delivery is answered at once, without a slot.
            var user = StripeEvents.NewId("u_gate");
            var clock = Stopwatch.StartNew();
            using (var response = await server.PostEventAsync(StripeEvents.Paid(user, 4), cancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            Assert.True(clock.Elapsed < Prompt, $"a small webhook waited {clock.Elapsed.TotalSeconds:F1} s behind 16 large bodies");
            Assert.StartsWith("HTTP/1.1 503", await answer, StringComparison.Ordinal);
            Assert.True(holders.All(h => h.Connected), "a body keeping up with the rate floor was cut off");
            await stop.CancelAsync();
            await keepUp;
            await using var checks = new LedgerChecks(db.Settings());
            Assert.Equal(4, (await checks.BalancesAsync())[user]);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var tcp in holders)
            {
                tcp.Dispose();
            }
        }
    }

    private static async Task<string> ReadStatusLineAsync(TcpClient tcp, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        var buffer = new byte[256];
        try
        {
            var read = await tcp.GetStream().ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            return $"no answer: {e.GetType().Name}";
        }
    }

    [Fact]
    public async Task CREDITS_MAX_CONNECTIONS_caps_open_connections()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["CREDITS_DATA_DIR"] = db.DataDirectory,
            ["CREDITS_MAX_CONNECTIONS"] = "20",
        });
        var cancellationToken = TestContext.Current.CancellationToken;
        var idle = new List<TcpClient>();
        for (var i = 0; i < 25; i++)
        {
            idle.Add(await OpenAsync(server, ""));
        }
        await Task.Delay(500, cancellationToken);

        using (var fresh = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) })
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => fresh.GetAsync("/healthz", cancellationToken));
        }

        foreach (var tcp in idle)
        {
            tcp.Dispose();
        }
        var answered = false;
        for (var attempt = 0; attempt < 50 && !answered; attempt++)
        {
            using var fresh = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            try
            {
                using var response = await fresh.GetAsync("/healthz", cancellationToken);
                answered = response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
        Assert.True(answered, "no connection was accepted after the idle ones closed");
    }

    private static async Task<TcpClient> OpenAsync(ServerProcess server, string start)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, TestContext.Current.CancellationToken);
        if (start.Length > 0)
        {
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(start), TestContext.Current.CancellationToken);
        }
        return tcp;
    }

    /// <summary>True once the server answered (e.g. 408) or closed the connection, within the bound.</summary>
    private static async Task<bool> ClosedWithinAsync(TcpClient tcp, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        var buffer = new byte[1024];
        try
        {
            while (await tcp.GetStream().ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
