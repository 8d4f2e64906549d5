using System.Globalization;
using System.Net.Http.Headers;

namespace Credits.Bench;

/// <summary>One run: build every request, warm up, measure, wait for the stragglers, verify, report.</summary>
public sealed class BenchRun(BenchOptions options, TextWriter output)
{
    // Signatures are only valid for 300 s; building, warm-up and the run must fit well inside.
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(200);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (options.Duration > MaxDuration)
        {
            output.WriteLine($"--duration is capped at {MaxDuration.TotalSeconds} s: Stripe signatures older than 300 s are refused.");
            return 2;
        }
        if (options.Url.Scheme != Uri.UriSchemeHttp)
        {
            output.WriteLine($"--url must be http://, not {options.Url.Scheme}://: the load generator speaks plain HTTP/1.1 on raw sockets, without TLS.");
            return 2;
        }
        using var client = CreateClient();
        using var runner = new LoadRunner(options.Url, options.ApiKey, options.Senders);
        var check = new AccountCheck(client, options.Senders);
        var accounts = Enumerable.Range(0, options.Users).Select(options.UserId).ToArray();
        output.WriteLine($"credits-bench {options.Mode.ToString().ToLowerInvariant()} -> {options.Url} ({options.Label}): " +
            $"{options.Senders} senders, {options.Warmup} warm-up + {options.Events} measured requests over {options.Users} accounts, run {options.RunId}");

        if (options.Mode == BenchMode.Spend && !await FundAsync(runner, cancellationToken))
        {
            return 1;
        }

        var built = System.Diagnostics.Stopwatch.StartNew();
        var (warm, measured) = options.Mode == BenchMode.Spend
            ? (RequestFactory.Spends(options, 0, options.Warmup), RequestFactory.Spends(options, options.Warmup, options.Events))
            : (RequestFactory.Webhooks(options, 0, options.Warmup), RequestFactory.Webhooks(options, options.Warmup, options.Events));
        var averageBytes = measured.Length == 0 ? 0 : measured.Average(r => r.Body.Length);
        output.WriteLine($"  built and signed {warm.Length + measured.Length} requests ({averageBytes:F0} bytes each) in {built.Elapsed.TotalSeconds:F1} s");

        var before = await check.BalancesAsync(accounts, cancellationToken);
        var warmResult = await runner.RunAsync(warm, MaxDuration, cancellationToken);
        output.WriteLine($"  warm-up: {warmResult.Answered} answered in {warmResult.Elapsed.TotalSeconds:F1} s ({Statuses(warmResult)})");
        var result = await runner.RunAsync(measured, options.Duration, cancellationToken);
        var after = await check.BalancesAsync(accounts, cancellationToken);

        var expected = warmResult.ExpectedDeltas();
        foreach (var (user, delta) in result.ExpectedDeltas())
        {
            expected[user] = expected.GetValueOrDefault(user) + delta;
        }
        var verification = AccountCheck.Compare(before, after, expected);
        var rss = options.ServerPid is { } pid ? ServerProcess.PeakRssMiB(pid) : null;
        Report(result, verification, warmResult.Succeeded + result.Succeeded, rss);

        if (!verification.Ok)
        {
            Console.Error.WriteLine($"VERIFICATION FAILED: {verification.Mismatches.Count} of {verification.Accounts} accounts moved by something other than their 2xx answers:");
            foreach (var line in verification.Mismatches.Take(20))
            {
                Console.Error.WriteLine($"  {line}");
            }
            return 1;
        }
        if (result.Succeeded == 0)
        {
            Console.Error.WriteLine(options.Mode == BenchMode.Spend && result.StatusCounts().ContainsKey(404)
                ? "NO SUCCESSFUL REQUEST: POST /api/users/{id}/spend answered 404; the spend route (issue 4) is not in this build."
                : "NO SUCCESSFUL REQUEST: see the status codes above.");
            return 3;
        }
        return 0;
    }

    /// <summary>Spends need money: one large signed grant per account, sent (and checked) before anything is timed.</summary>
    private async Task<bool> FundAsync(LoadRunner runner, CancellationToken cancellationToken)
    {
        const long Funding = 10_000_000;
        // Indexes past the measured ones, starting at a multiple of Users so each account gets one.
        var first = ((options.Warmup + options.Events) / options.Users + 1) * options.Users;
        var grants = RequestFactory.Webhooks(options, first, options.Users, _ => Funding);
        var funded = await runner.RunAsync(grants, MaxDuration, cancellationToken);
        output.WriteLine($"  funded {funded.Succeeded} accounts with {Funding} credits each ({Statuses(funded)})");
        if (funded.Succeeded != grants.Length)
        {
            Console.Error.WriteLine("FUNDING FAILED: not every account could be funded through the webhook; spends would be refused.");
            return false;
        }
        return true;
    }

    private void Report(LoadResult result, Verification verification, int succeeded, double? rss)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv,
            $"  measured: {result.Answered} answered in {result.Elapsed.TotalSeconds:F2} s -> {result.PerSecond:F0} /s ({result.Succeeded} 2xx)"));
        output.WriteLine(string.Create(inv,
            $"  latency ms: p50 {result.LatencyMs(0.5):F2}  p90 {result.LatencyMs(0.9):F2}  p99 {result.LatencyMs(0.99):F2}  max {result.LatencyMs(1):F2}"));
        output.WriteLine($"  status: {Statuses(result)}");
        output.WriteLine(verification.Ok
            ? $"  verified: {verification.Accounts} accounts moved {verification.Moved} credits, exactly what {succeeded} 2xx answers promised"
            : $"  NOT VERIFIED: accounts moved {verification.Moved} credits, {succeeded} 2xx answers promised {verification.Promised}");
        if (rss is { } mib)
        {
            output.WriteLine(string.Create(inv, $"  server peak RSS (VmHWM of pid {options.ServerPid}): {mib:F0} MiB"));
        }
        output.WriteLine(string.Create(inv,
            $"RESULT label={options.Label} mode={options.Mode.ToString().ToLowerInvariant()} per_s={result.PerSecond:F0} " +
            $"p50_ms={result.LatencyMs(0.5):F2} p90_ms={result.LatencyMs(0.9):F2} p99_ms={result.LatencyMs(0.99):F2} max_ms={result.LatencyMs(1):F2} " +
            $"answered={result.Answered} ok={result.Succeeded} non2xx={result.Answered - result.Succeeded} " +
            $"rss_mib={(rss is { } r ? r.ToString("F0", inv) : "-")} verified={(verification.Ok ? "yes" : "NO")}"));
    }

    private static string Statuses(LoadResult result) =>
        string.Join(", ", result.StatusCounts().Select(p => $"{(p.Key == LoadRunner.NetworkError ? "network error" : p.Key.ToString(CultureInfo.InvariantCulture))} x{p.Value}"));

    private HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Senders,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        var client = new HttpClient(handler) { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        return client;
    }
}
