using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteEventsApiTests(SqliteFixture db) : EventsApiTests<SqliteFixture>(db);

public sealed class PostgresEventsApiTests(PostgresFixture db) : EventsApiTests<PostgresFixture>(db);

public abstract class EventsApiTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stored_events_are_listed_newest_first_filtered_and_paged()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var type = $"test.{Guid.NewGuid():N}";
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var json = StripeEvents.Event(type, new() { ["id"] = $"obj_{i}", ["object"] = "thing" });
            ids.Add(StripeEvents.Parse(json).GetProperty("id").GetString()!);
            await server.DeliverAsync(json);
            server.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await server.Client.GetFromJsonAsync<JsonElement>($"/api/events?type={type}&limit=3", Cancel);
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await server.Client.GetFromJsonAsync<JsonElement>($"/api/events?type={type}&limit=3&cursor={Uri.EscapeDataString(cursor!)}", Cancel);
        var ignored = await server.Client.GetFromJsonAsync<JsonElement>($"/api/events?type={type}&status=ignored&limit=200", Cancel);
        var granted = await server.Client.GetFromJsonAsync<JsonElement>($"/api/events?type={type}&status=granted", Cancel);

        var seen = first.GetProperty("events").EnumerateArray().Concat(second.GetProperty("events").EnumerateArray())
            .Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(Enumerable.Reverse(ids), seen);
        Assert.Equal(5, ignored.GetProperty("events").GetArrayLength());
        Assert.Equal(0, granted.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task One_event_shows_its_payload_and_outcome()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("u");
        var json = StripeEvents.Paid(user, 9);
        var id = StripeEvents.Parse(json).GetProperty("id").GetString();
        await server.DeliverAsync(json);

        var detail = await server.Client.GetFromJsonAsync<JsonElement>($"/api/events/{id}", Cancel);

        Assert.Equal("granted", detail.GetProperty("event").GetProperty("status").GetString());
        Assert.Equal(9, detail.GetProperty("event").GetProperty("credits_added").GetInt64());
        Assert.Equal(user, detail.GetProperty("payload").GetProperty("data").GetProperty("object").GetProperty("metadata").GetProperty("user_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/api/events/evt_missing", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Replaying_an_unmatched_event_after_the_user_registers_grants_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var email = $"{StripeEvents.NewId("buyer")}@example.com";
        var session = StripeEvents.CheckoutSession(amountTotal: 1500, email: email);
        var json = StripeEvents.Completed(session);
        var id = StripeEvents.Parse(json).GetProperty("id").GetString();
        await server.DeliverAsync(json);
        var user = StripeEvents.NewId("u");
        // The account exists but was registered without the email, so nothing was claimed.
        (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        await server.Database.ReadAsync(c => Dapper.SqlMapper.ExecuteAsync(c, "UPDATE accounts SET email = @email WHERE id = @user", new { email, user }), Cancel);

        using var replay = await server.Client.PostAsync($"/api/events/{id}/replay", null, Cancel);
        using var again = await server.Client.PostAsync($"/api/events/{id}/replay", null, Cancel);

        var body = JsonDocument.Parse(await replay.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(200, await server.BalanceAsync(user));
        Assert.Equal("granted", await server.ScalarAsync<string>("SELECT status FROM webhook_events WHERE id = @id", new { id }));
        Assert.Equal(3, await server.ScalarAsync<long>("SELECT attempts FROM webhook_events WHERE id = @id", new { id }));
        Assert.Single(await server.EntriesAsync(user));
    }
}
