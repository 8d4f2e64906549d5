using Credits.Ledger.Storage;
using Credits.Stripe;
using Dapper;

namespace Credits.Api;

/// <summary>The SQL behind /api/stats and the backlog gauges of /metrics; the same on SQLite and PostgreSQL.</summary>
public static class StatsQueries
{
    public const int WindowMinutes = 60;
    public const int WindowHours = 24;
    public const int LatestEvents = 20;
    private const long MinuteMs = 60_000;
    private const long HourMs = 3_600_000;

    // Ledger kinds written by refunds and disputes; every other debit is spending.
    private const string IsReversal = "(kind LIKE '%refund%' OR kind LIKE '%dispute%' OR kind LIKE '%revers%')";

    public static Task<Backlog> BacklogAsync(LedgerDatabase database, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleAsync<Backlog>(new CommandDefinition(BacklogSql, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>Counted on every /metrics scrape: it reads the partial indexes of parked payments and failed events only.</summary>
    internal const string BacklogSql =
        """
        SELECT
            (SELECT COUNT(*) FROM checkout_payments WHERE status = 'unmatched') AS unmatched,
            (SELECT MIN(created_at) FROM checkout_payments WHERE status = 'unmatched') AS oldest_unmatched_at,
            (SELECT COUNT(*) FROM webhook_events WHERE status = 'failed') AS failed,
            (SELECT MIN(received_at) FROM webhook_events WHERE status = 'failed') AS oldest_failed_at
        """;

    public static async Task<StatsResponse> ReadAsync(
        LedgerDatabase database, DateTimeOffset now, StatsResponse.LatencySummary latency, CancellationToken cancellationToken)
    {
        var currentMinute = now.ToUnixTimeMilliseconds() / MinuteMs;
        var since = (currentMinute - WindowMinutes + 1) * MinuteMs;
        var currentHour = now.ToUnixTimeMilliseconds() / HourMs;
        var sinceHour = (currentHour - WindowHours + 1) * HourMs;
        var (buckets, hourly, totals, credits, latest) = await database.ReadAsync(async c =>
        {
            var buckets = await c.QueryAsync<(long Bucket, string Status, long Count)>(new CommandDefinition(
                """
                SELECT received_at / 60000 AS bucket, status, COUNT(*) AS count
                FROM webhook_events WHERE received_at >= @since
                GROUP BY received_at / 60000, status
                """, new { since }, cancellationToken: cancellationToken));
            var hourly = await c.QueryAsync<(long Bucket, string Status, long Count)>(new CommandDefinition(
                """
                SELECT received_at / 3600000 AS bucket, status, COUNT(*) AS count
                FROM webhook_events WHERE received_at >= @sinceHour
                GROUP BY received_at / 3600000, status
                """, new { sinceHour }, cancellationToken: cancellationToken));
            var totals = await c.QueryAsync<(string Status, long Count)>(new CommandDefinition(
                "SELECT status, COUNT(*) AS count FROM webhook_events GROUP BY status", cancellationToken: cancellationToken));
            var credits = await c.QuerySingleAsync<StatsResponse.CreditTotals>(new CommandDefinition(
                $"""
                SELECT
                    CAST(COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0) AS bigint) AS granted,
                    CAST(COALESCE(SUM(CASE WHEN amount < 0 AND {IsReversal} THEN -amount ELSE 0 END), 0) AS bigint) AS reversed,
                    CAST(COALESCE(SUM(CASE WHEN amount < 0 AND NOT {IsReversal} THEN -amount ELSE 0 END), 0) AS bigint) AS spent
                FROM ledger_entries
                """, cancellationToken: cancellationToken));
            var latest = await c.QueryAsync<StoredEvent>(new CommandDefinition(
                $"""
                SELECT id, type, status, user_id, credits_added, object_id, detail, error, received_at
                FROM webhook_events ORDER BY received_at DESC, id DESC LIMIT {LatestEvents}
                """, cancellationToken: cancellationToken));
            return (buckets.ToList(), hourly.ToList(), totals.ToList(), credits, latest.ToList());
        }, cancellationToken);
        var backlog = await BacklogAsync(database, cancellationToken);

        var minutes = Series(buckets, currentMinute, WindowMinutes, MinuteMs);
        var hours = Series(hourly, currentHour, WindowHours, HourMs);
        return new StatsResponse(
            now,
            WindowMinutes,
            minutes,
            totals.ToDictionary(t => t.Status, t => t.Count),
            credits,
            backlog.Unmatched,
            Time(backlog.OldestUnmatchedAt),
            backlog.Failed,
            Time(backlog.OldestFailedAt),
            latency,
            [.. latest.Select(e => new StatsResponse.RecentEvent(
                e.Id, e.Type, e.Status, e.UserId, e.CreditsAdded, e.ObjectId, e.Detail, e.Error, DateTimeOffset.FromUnixTimeMilliseconds(e.ReceivedAt)))])
        {
            EventsPerHour = hours,
        };
    }

    /// <summary>One entry per bucket, oldest first and ending with <paramref name="current"/>; empty buckets included.</summary>
    private static List<StatsResponse.Minute> Series(List<(long Bucket, string Status, long Count)> rows, long current, int count, long bucketMs) =>
        [.. Enumerable.Range(0, count)
            .Select(i => current - count + 1 + i)
            .Select(b => new StatsResponse.Minute(
                DateTimeOffset.FromUnixTimeMilliseconds(b * bucketMs),
                rows.Where(r => r.Bucket == b).ToDictionary(r => r.Status, r => r.Count)))];

    private static DateTimeOffset? Time(long? unixMs) => unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>What is waiting for a person: unmatched payments and failed events, with the oldest of each (unix ms).</summary>
    public sealed record Backlog
    {
        public long Unmatched { get; init; }
        public long? OldestUnmatchedAt { get; init; }
        public long Failed { get; init; }
        public long? OldestFailedAt { get; init; }
    }
}
