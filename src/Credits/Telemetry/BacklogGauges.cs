using System.Diagnostics.Metrics;
using Credits.Api;
using Credits.Ledger.Storage;

namespace Credits.Telemetry;

/// <summary>
/// Observable gauges read from the database: unmatched payments waiting and the age of the oldest
/// failed event. Observation callbacks are synchronous, so the value is refreshed asynchronously
/// before a scrape (<see cref="MetricsEndpoint"/>) and cached, so scrapes never hammer the database.
/// </summary>
public sealed class BacklogGauges
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly LedgerDatabase _database;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private StatsQueries.Backlog _backlog = new();
    private DateTimeOffset? _readAt;

    public BacklogGauges(LedgerDatabase database, TimeProvider time, IMeterFactory meterFactory)
    {
        _database = database;
        _time = time;
        var meter = meterFactory.Create(CreditsMetrics.MeterName);
        meter.CreateObservableGauge("credits.payments.unmatched", () => _backlog.Unmatched, "{payment}",
            "Paid Checkout Sessions parked as unmatched, waiting for an operator.");
        meter.CreateObservableGauge("credits.webhook.failed_events", () => _backlog.Failed, "{event}",
            "Stored webhook events whose processing failed and has not succeeded since.");
        meter.CreateObservableGauge("credits.webhook.oldest_failed_age", OldestFailedAge, "s",
            "Age of the oldest failed webhook event; 0 when there is none.");
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
            _backlog = await StatsQueries.BacklogAsync(_database, cancellationToken);
            _readAt = _time.GetUtcNow();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException)
        {
            // The database is down: keep the last values; /readyz is what reports the outage.
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private double OldestFailedAge() =>
        _backlog.OldestFailedAt is { } at ? Math.Max(0, (_time.GetUtcNow().ToUnixTimeMilliseconds() - at) / 1000.0) : 0;
}
