using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteStatsByHourTests(SqliteFixture db) : StatsByHourTests<SqliteFixture>(db);

public sealed class PostgresStatsByHourTests(PostgresFixture db) : StatsByHourTests<PostgresFixture>(db);

/// <summary>events_per_hour in GET /api/stats: the dashboard's "last day" chart (a database of its own, so the counts are exact).</summary>
public abstract class StatsByHourTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Stats_count_the_last_day_by_hour_and_leave_older_events_out()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var now = server.Time.GetUtcNow();
        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: StripeEvents.NewId("u"), credits: 5, amountTotal: 100)));
        await StatsApiTests<TFixture>.InsertFailedEventAsync(server, "evt_failed_3h_ago", now.AddHours(-3));
        await StatsApiTests<TFixture>.InsertFailedEventAsync(server, "evt_failed_2d_ago", now.AddDays(-2));

        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/api/stats", TestContext.Current.CancellationToken);

        var hours = stats.GetProperty("events_per_hour").EnumerateArray().ToList();
        Assert.Equal(24, hours.Count);
        var currentHour = now.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
        Assert.Equal(currentHour, hours[^1].GetProperty("start").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(currentHour - (23 * 3_600_000L), hours[0].GetProperty("start").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(1, hours[^1].GetProperty("counts").GetProperty("granted").GetInt64());
        Assert.Equal(1, hours[^4].GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.Equal(1, hours.Sum(h => h.GetProperty("counts").TryGetProperty("failed", out var n) ? n.GetInt64() : 0));
        Assert.Equal(2, stats.GetProperty("events_by_status").GetProperty("failed").GetInt64());
    }
}
