using Credits.Configuration;
using Microsoft.Extensions.Options;

namespace Credits;

/// <summary>
/// Bounds SIGTERM: the host drains in-flight requests for CREDITS_SHUTDOWN_SECONDS, but a request
/// still waiting on the database then would keep the process alive (group commit waits for its
/// batch). At the deadline the process exits 0 regardless: work that had not committed dies with
/// its connection and is rolled back, and its request got no answer, so Stripe or the client retries.
/// </summary>
public static partial class ShutdownDeadline
{
    public static void Enforce(WebApplication app)
    {
        var seconds = app.Services.GetRequiredService<IOptions<CreditsOptions>>().Value.ShutdownSeconds;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShutdownDeadline));
        app.Lifetime.ApplicationStopping.Register(() => _ = ExitAfterAsync(TimeSpan.FromSeconds(seconds), seconds, logger));
    }

    private static async Task ExitAfterAsync(TimeSpan limit, int seconds, ILogger logger)
    {
        await Task.Delay(limit, CancellationToken.None);
        Log.DeadlineReached(logger, seconds);
        await Task.Delay(100, CancellationToken.None); // let the console logger write the line
        Environment.Exit(0);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Requests were still running {Seconds} s after SIGTERM (CREDITS_SHUTDOWN_SECONDS); exiting without them: what they had not committed is rolled back")]
        public static partial void DeadlineReached(ILogger logger, int seconds);
    }
}
