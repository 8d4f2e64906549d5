using Credits.Configuration;
using Credits.Ledger;
using Microsoft.Extensions.Options;

namespace Credits;

/// <summary>
/// The server's expiry sweep: every <c>CREDITS_EXPIRY_SWEEP_SECONDS</c> (60; 0: off) it books the remainders of lots past expiry as
/// <c>expiry</c> ledger rows and warns about lots expiring within 7 days (<see cref="LotExpiry"/>). Spends never wait for it; several instances
/// may run it at once. <c>credits expire</c> does the same once, for cron.
/// </summary>
public sealed partial class LotExpiryService(LotExpiry expiry, TimeProvider time, IOptions<CreditsOptions> options, ILogger<LotExpiryService> logger)
    : BackgroundService
{
    /// <summary>Accounts swept per round; the next round continues.</summary>
    public const int AccountsPerRound = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ExpirySweepSeconds == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ExpirySweepSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var swept = await expiry.SweepAsync(AccountsPerRound, stoppingToken);
                    if (swept.Lots + swept.Warned > 0)
                    {
                        Log.Swept(logger, swept.Lots, swept.Credits, swept.Warned);
                    }
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    Log.Failed(logger, error);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Expiry sweep: {Lots} lots expired, {Credits} credits booked as expired, {Warned} lots warned about")]
        public static partial void Swept(ILogger logger, long lots, long credits, long warned);

        [LoggerMessage(2, LogLevel.Warning, "Expiry sweep failed; it runs again at its next interval")]
        public static partial void Failed(ILogger logger, Exception error);
    }
}
