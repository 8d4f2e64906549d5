using System.Diagnostics.Metrics;
using Credits.Api;
using Credits.Ledger.Storage;

namespace Credits.Telemetry;

/// <summary>
/// Observable gauges read from the database: unmatched payments waiting, failed events, the age of
/// the oldest of each, and whether that read reached the database at all. Observation callbacks are synchronous, so the value is refreshed asynchronously
/// before a scrape (<see cref="MetricsEndpoint"/>) and cached, so scrapes never hammer the database.
/// </summary>
public sealed class BacklogGauges
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    // A scrape must not hang on an unreachable database (Prometheus gives up after 10 s by default).
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly LedgerDatabase _database;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private StatsQueries.Backlog _backlog = new();
    private DateTimeOffset? _readAt;
    private int _databaseUp = 1;
    private long? _outboxOldestAt;

    public BacklogGauges(LedgerDatabase database, TimeProvider time, IMeterFactory meterFactory)
    {
        _database = database;
        _time = time;
        var meter = meterFactory.Create(CreditsMetrics.MeterName);
        meter.CreateObservableGauge("credits.payments.unmatched", () => _backlog.Unmatched, "{payment}",
            "Paid Checkout Sessions parked as unmatched, waiting for an operator.");
        meter.CreateObservableGauge("credits.webhook.failed_events", () => _backlog.Failed, "{event}",
            "Stored webhook events whose processing failed and has not succeeded since.");
        meter.CreateObservableGauge("credits.webhook.oldest_failed_age", () => AgeSeconds(_backlog.OldestFailedAt), "s",
            "Age of the oldest failed webhook event; 0 when there is none.");
        meter.CreateObservableGauge("credits.payments.oldest_unmatched_age", () => AgeSeconds(_backlog.OldestUnmatchedAt), "s",
            "Age of the oldest payment parked as unmatched; 0 when there is none.");
        meter.CreateObservableGauge("credits.webhook.outbox_oldest_age", () => AgeSeconds(_outboxOldestAt), "s",
            "Age of the oldest outbound webhook message not delivered yet; 0 when the outbox is empty.");
        meter.CreateObservableGauge("credits.database.up", () => _databaseUp, null,
            "1 when the last read of the backlog gauges reached the database, 0 when it failed.");
    }

    /// <summary>Reads the backlog unless a read younger than <see cref="CacheFor"/> exists or one is under way.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_readAt is { } readAt && _time.GetUtcNow() - readAt < CacheFor || !await _refreshing.WaitAsync(0, cancellationToken))
        {
            return;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReadTimeout);
            _backlog = await StatsQueries.BacklogAsync(_database, timeout.Token);
            _outboxOldestAt = await Credits.Ledger.Webhooks.Outbox.OldestPendingAsync(_database, timeout.Token);
            _readAt = _time.GetUtcNow();
            _databaseUp = 1;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException
            || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The database is down: keep the last backlog values, say so in credits_database_up
            // (the alert), and try again on the next scrape.
            _databaseUp = 0;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private double AgeSeconds(long? unixMs) =>
        unixMs is { } at ? Math.Max(0, (_time.GetUtcNow().ToUnixTimeMilliseconds() - at) / 1000.0) : 0;
}
