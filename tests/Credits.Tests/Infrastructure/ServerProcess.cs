using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stripe;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// The real `credits serve` in its own process (the built credits.dll on a free loopback port), so a
/// test can run two of them on one database or kill one with SIGKILL. Output is kept for failure
/// messages. Deliveries are signed by Stripe.net with a fresh timestamp each time, as Stripe re-signs
/// every retry.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress, TimeSpan requestTimeout)
    {
        _process = process;
        BaseAddress = baseAddress;
        // Bounds every request: a hanging one fails the test instead of stalling it.
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = requestTimeout,
        };
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", CreditsServer.ApiKey);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The server's process id, e.g. to read its memory from /proc.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Everything the process printed so far (the last 200 lines), for assertion messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                var lines = _output.ToString().Split('\n');
                return string.Join('\n', lines.TakeLast(200));
            }
        }
    }

    /// <summary>Starts credits.dll on the fixture's database (skipping when that provider cannot run here).</summary>
    public static Task<ServerProcess> StartAsync(DatabaseFixture db)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        return StartAsync(new Dictionary<string, string?> { ["DATABASE_URL"] = db.DatabaseUrl, ["CREDITS_DATA_DIR"] = db.DataDirectory });
    }

    /// <summary>
    /// Starts credits.dll with the given environment (DATABASE_URL empty means SQLite in
    /// CREDITS_DATA_DIR) and waits until /readyz answers 200. A value of null keeps the default;
    /// an empty string leaves the variable unset (e.g. STRIPE_WEBHOOK_SECRET = "": generated secrets).
    /// </summary>
    public static Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan? requestTimeout = null)
    {
        var port = FreePort();
        return LaunchAsync("dotnet", [CreditsDll.Path, "serve", "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"], environment, port, requestTimeout);
    }

    /// <summary>
    /// Starts any command that runs the server (credits.dll without --urls, a published apphost) and
    /// waits until /readyz answers 200 on 127.0.0.1:<paramref name="port"/>, where it must listen.
    /// </summary>
    public static async Task<ServerProcess> LaunchAsync(
        string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, int port, TimeSpan? requestTimeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var name in new[] { "DATABASE_URL", "STRIPE_WEBHOOK_SECRET", "CREDITS_API_KEY", "CREDITS_LIVEMODE", "CREDITS_DATA_DIR", "CREDITS_DB_TIMEOUT_SECONDS", "PORT" })
        {
            info.Environment.Remove(name);
        }
        info.Environment["STRIPE_WEBHOOK_SECRET"] = CreditsServer.WebhookSecret;
        info.Environment["CREDITS_API_KEY"] = CreditsServer.ApiKey;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment)
        {
            if (value is "")
            {
                info.Environment.Remove(name);
            }
            else if (value is not null)
            {
                info.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"), requestTimeout ?? TimeSpan.FromSeconds(60));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Polls /readyz until it answers 200, the process dies or the start-up budget runs out.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? budget = null)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < (budget ?? StartTimeout))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"credits serve exited with code {_process.ExitCode} before it was ready:\n{Output}");
            }
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var response = await Client.GetAsync("/readyz", probe.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(probe.Token)}";
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"credits serve at {BaseAddress} was not ready within {(budget ?? StartTimeout).TotalSeconds} s (last: {last}):\n{Output}");
    }

    /// <summary>Posts a body signed now, the way Stripe signs each delivery attempt.</summary>
    public async Task<HttpResponseMessage> PostEventAsync(string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Credits.Stripe.TestEvents.SignatureHeader(json, CreditsServer.WebhookSecret, DateTimeOffset.UtcNow));
        return await Client.SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// kill -TERM, as a platform sends on every deploy; returns the exit code once the process has
    /// exited, or null if it is still running after <paramref name="budget"/>.
    /// </summary>
    public async Task<int?> TerminateAsync(TimeSpan budget)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(CancellationToken.None);
        }
        using var wait = new CancellationTokenSource(budget);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        return _process.ExitCode;
    }

    /// <summary>kill -9: no shutdown hooks, no flushing, open transactions left as they were.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
        }
        Client.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            // Keep memory bounded under a storm of log lines.
            if (_output.Length > 1_000_000)
            {
                _output.Remove(0, _output.Length / 2);
            }
            _output.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
