using System.CommandLine;
using Credits.Api;
using Credits.Ledger.Storage;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Credits.Cli;

/// <summary><c>credits monitor</c>: a live terminal view of GET /api/stats (or of the database itself).</summary>
public static class MonitorCommand
{
    public static Command Create(TimeProvider time)
    {
        var url = CliOptions.ServerUrl();
        var apiKey = CliOptions.ApiKey();
        var interval = CliOptions.Range("--interval", "Seconds between refreshes (1-60).", 2, 1, 60);
        var once = new Option<bool>("--once") { Description = "Draw one frame and exit (for scripts, logs and tests)." };
        var database = new Option<bool>("--database")
        {
            Description = "Read the database directly (DATABASE_URL or CREDITS_DATA_DIR) instead of a server's /api/stats; latency is then not shown.",
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "With --database: the SQLite data folder (default CREDITS_DATA_DIR, else ./data)." };
        var command = new Command("monitor", """
            Live view of webhook traffic: events per minute by status, credits granted, reversed and spent, unmatched payments
            waiting, failed events, processing latency and the latest events. Reads GET /api/stats of a server; Ctrl+C to quit.

            Examples:
              credits monitor
              credits monitor --url https://credits.example.com --api-key $CREDITS_API_KEY --interval 5
              credits monitor --once            # one frame, then exit
              credits monitor --database --data-dir ./data   # no server needed: read the SQLite file (or DATABASE_URL)
            """)
        {
            url, apiKey, interval, once, database, dataDir,
        };
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var (source, read, dispose) = context.Get(database) ? FromDatabase(context, context.Get(dataDir), time) : FromServer(context, url, apiKey);
            await using var _ = dispose;
            var console = context.Console;
            if (context.Get(once) || !console.Profile.Capabilities.Interactive)
            {
                console.Write(MonitorView.Render(await read(cancellationToken), source));
                return 0;
            }
            var period = TimeSpan.FromSeconds(context.Get(interval));
            try
            {
                await console.Live(new Text("loading…")).AutoClear(false).StartAsync(async live =>
                {
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        live.UpdateTarget(await FrameAsync(read, source, time, cancellationToken));
                        await Task.Delay(period, time, cancellationToken);
                    }
                });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            return 0;
        });
        return command;
    }

    private static async Task<IRenderable> FrameAsync(Func<CancellationToken, Task<StatsResponse>> read, string source, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            return MonitorView.Render(await read(cancellationToken), source);
        }
        catch (CliException e)
        {
            return MonitorView.Failure(e.Message, source, time.GetUtcNow());
        }
    }

    private static (string, Func<CancellationToken, Task<StatsResponse>>, IAsyncDisposable) FromServer(
        CliContext context, Option<Uri> url, Option<string?> apiKey)
    {
        var client = new ServerClient(context.Get(url), CliOptions.ResolveApiKey(context, apiKey));
        return (client.BaseUrl.ToString(), ct => client.GetAsync<StatsResponse>("/api/stats", ct), new Disposer(client.Dispose));
    }

    private static (string, Func<CancellationToken, Task<StatsResponse>>, IAsyncDisposable) FromDatabase(CliContext context, string? dataDirectory, TimeProvider time)
    {
        var settings = context.Settings;
        if (dataDirectory is not null)
        {
            settings.DataDirectory = dataDirectory;
        }
        if (settings.Validate() is { } error)
        {
            throw new CliException(error, CliException.Usage);
        }
        var database = new LedgerDatabase(CreditsApp.DatabaseFrom(settings));
        var noLatency = new StatsResponse.LatencySummary(0, 0, 0, 0);
        return (database.Settings.Describe(), async ct =>
        {
            try
            {
                return await StatsQueries.ReadAsync(database, time.GetUtcNow(), noLatency, ct);
            }
            catch (System.Data.Common.DbException e)
            {
                throw new CliException($"{database.Settings.Describe()}: {e.Message}. Check DATABASE_URL / CREDITS_DATA_DIR, or run `credits migrate`.");
            }
        }, database);
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
