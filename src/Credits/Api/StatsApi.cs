using Credits.Ledger.Storage;
using Credits.Telemetry;

namespace Credits.Api;

/// <summary><c>GET /api/stats</c>: counters and recent activity for <c>credits monitor</c> and a dashboard.</summary>
public static class StatsApi
{
    public static RouteGroupBuilder MapStatsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/stats", async (LedgerDatabase database, RecentLatency latency, TimeProvider time, CancellationToken cancellationToken) =>
            TypedResults.Ok(await StatsQueries.ReadAsync(database, time.GetUtcNow(), latency.Summary(), cancellationToken)))
            .WithTags("Stats");
        return api;
    }
}
