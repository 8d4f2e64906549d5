using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteStatsApiTests(SqliteFixture db) : StatsApiTests<SqliteFixture>(db);

public sealed class PostgresStatsApiTests(PostgresFixture db) : StatsApiTests<PostgresFixture>(db);

/// <summary>GET /api/stats and GET /api/users: the SQL on both databases, checked against what was delivered.</summary>
public abstract class StatsApiTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Stats_count_events_credits_backlog_and_list_the_latest_events()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("u");
        var purchase = StripeEvents.CheckoutSession(userId: user, credits: 30, amountTotal: 500);
        await server.DeliverAsync(StripeEvents.Completed(purchase));
        server.Time.Advance(TimeSpan.FromSeconds(1));
        await server.DeliverAsync(StripeEvents.Refunded((string)purchase["payment_intent"]!, 500, 250));
        server.Time.Advance(TimeSpan.FromSeconds(1));
        var parked = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(amountTotal: 123, email: "nobody@example.invalid")));
        var failedAt = server.Time.GetUtcNow().AddMinutes(-2);
        await InsertFailedEventAsync(server, "evt_failed_stats", failedAt);

        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/api/stats", TestContext.Current.CancellationToken);

        Assert.Equal(60, stats.GetProperty("events_per_minute").GetArrayLength());
        var minutes = stats.GetProperty("events_per_minute").EnumerateArray().Select(m => m.GetProperty("counts")).ToList();
        Assert.Equal(1, minutes.Sum(m => m.TryGetProperty("granted", out var n) ? n.GetInt64() : 0));
        Assert.Equal(1, minutes.Sum(m => m.TryGetProperty("reversed", out var n) ? n.GetInt64() : 0));
        Assert.Equal(1, minutes.Sum(m => m.TryGetProperty("unmatched", out var n) ? n.GetInt64() : 0));
        Assert.Equal(1, minutes.Sum(m => m.TryGetProperty("failed", out var n) ? n.GetInt64() : 0));
        Assert.True(minutes[^1].EnumerateObject().Any(), "the current minute holds the latest delivery");
        var byStatus = stats.GetProperty("events_by_status");
        Assert.Equal((1, 1, 1), (byStatus.GetProperty("granted").GetInt64(), byStatus.GetProperty("unmatched").GetInt64(), byStatus.GetProperty("failed").GetInt64()));
        Assert.Equal(30, stats.GetProperty("credits").GetProperty("granted").GetInt64());
        Assert.Equal(15, stats.GetProperty("credits").GetProperty("reversed").GetInt64());
        Assert.Equal(0, stats.GetProperty("credits").GetProperty("spent").GetInt64());
        Assert.Equal(1, stats.GetProperty("unmatched_waiting").GetInt64());
        Assert.Equal(1, stats.GetProperty("failed_events").GetInt64());
        Assert.Equal(failedAt.ToUnixTimeMilliseconds(), stats.GetProperty("oldest_failed_at").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(3, stats.GetProperty("latency").GetProperty("count").GetInt64());
        var latest = stats.GetProperty("latest_events");
        Assert.Equal(4, latest.GetArrayLength());
        Assert.Equal(parked.GetProperty("event_id").GetString(), latest[0].GetProperty("id").GetString());
        Assert.Equal("evt_failed_stats", latest[3].GetProperty("id").GetString());
        Assert.Equal("boom", latest[3].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Users_list_is_newest_first_and_limited()
    {
        await using var server = await CreditsServer.StartAsync(db);
        foreach (var id in new[] { "u_list_1", "u_list_2", "u_list_3" })
        {
            (await server.PutUserAsync(id, $"{id}@example.com")).EnsureSuccessStatusCode();
            server.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page = await server.Client.GetFromJsonAsync<JsonElement>("/api/users?limit=2", TestContext.Current.CancellationToken);
        var byEmail = await server.Client.GetFromJsonAsync<JsonElement>("/api/users?email=U_LIST_1@example.com", TestContext.Current.CancellationToken);
        using var bad = await server.Client.GetAsync("/api/users?limit=0", TestContext.Current.CancellationToken);

        Assert.Equal(["u_list_3", "u_list_2"], page.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("id").GetString()));
        Assert.Equal("u_list_1", Assert.Single(byEmail.GetProperty("users").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("limit must be between 1 and 200", await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>A delivery whose processing threw, as EventProcessor.RecordFailureAsync leaves it.</summary>
    public static async Task InsertFailedEventAsync(CreditsServer server, string id, DateTimeOffset receivedAt)
    {
        await using var tx = await server.Database.BeginAsync(TestContext.Current.CancellationToken);
        await tx.ExecuteAsync(
            """
            INSERT INTO webhook_events (id, type, payload, status, credits_added, error, attempts, received_at)
            VALUES (@id, 'checkout.session.completed', '{}', 'failed', 0, 'boom', 1, @at)
            """, new { id, at = receivedAt.ToUnixTimeMilliseconds() }, TestContext.Current.CancellationToken);
        await tx.CommitAsync(TestContext.Current.CancellationToken);
    }
}
