using System.Net;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteHoldKeyTests(SqliteFixture db) : HoldKeyTests<SqliteFixture>(db);

public sealed class PostgresHoldKeyTests(PostgresFixture db) : HoldKeyTests<PostgresFixture>(db);

/// <summary>
/// Idempotency-Key on holds: required to place one, optional to capture or release. The same key
/// and body replay the first answer (a retried create returns the same hold and holds once); the
/// same key with another body is a 409 that changes nothing.
/// </summary>
public abstract class HoldKeyTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string Id(JsonElement hold) => hold.GetProperty("id").GetString()!;

    private static Task<long> HoldCountAsync(CreditsServer server, string user) =>
        server.ScalarAsync<long>("SELECT COUNT(*) FROM holds WHERE account_id = @user", new { user });

    [Fact]
    public async Task A_hold_without_an_Idempotency_Key_is_400_and_reserves_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);

        var problem = await server.ExpectAsync(HttpStatusCode.BadRequest,
            server.PostJsonAsync($"/api/users/{user}/holds", """{"credits":10}""", null));

        Assert.Equal("Missing Idempotency-Key", problem.GetProperty("title").GetString());
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.PostJsonAsync($"/api/users/{user}/holds", """{"credits":10}""", "has space"));
        Assert.Equal(0, await HoldCountAsync(server, user));
        Assert.Equal(0, (await server.UserAsync(user)).GetProperty("held").GetInt64());
    }

    [Fact]
    public async Task A_retried_create_with_the_same_key_returns_the_same_hold_and_holds_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);

        using var first = await server.HoldAsync(user, 30, ttlSeconds: 300, key: "job-1");
        using var retry = await server.HoldAsync(user, 30, ttlSeconds: 300, key: "job-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        var (a, b) = (await BodyAsync(first), await BodyAsync(retry));
        Assert.Equal(Id(a), Id(b));
        Assert.Equal(a.ToString(), b.ToString());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await HoldCountAsync(server, user));
        Assert.Equal(30, (await server.UserAsync(user)).GetProperty("held").GetInt64());
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Concurrent_creates_with_one_key_place_one_hold()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);

        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
            Id(await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 10, key: "same"))), TestContext.Current.CancellationToken)));

        Assert.Single(ids.Distinct());
        Assert.Equal(1, await HoldCountAsync(server, user));
        Assert.Equal(10, (await server.UserAsync(user)).GetProperty("held").GetInt64());
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task The_same_key_with_another_body_or_on_another_operation_is_409_and_changes_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 30, key: "k1"));

        await server.ExpectAsync(HttpStatusCode.Conflict, server.HoldAsync(user, 31, key: "k1"));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.HoldAsync(user, 30, ttlSeconds: 60, key: "k1"));
        // Keys are per account and shared by spends, grants and holds.
        await server.ExpectAsync(HttpStatusCode.Conflict, server.SpendAsync(user, 30, "k1"));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(Id(hold), key: "k1"));

        Assert.Equal(1, await HoldCountAsync(server, user));
        var account = await server.UserAsync(user);
        Assert.Equal((100, 30), (account.GetProperty("balance").GetInt64(), account.GetProperty("held").GetInt64()));
        Assert.Equal("active", (await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/holds/{Id(hold)}",
            TestContext.Current.CancellationToken))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_keyed_capture_replays_its_answer_and_refuses_another_amount_or_a_release_under_its_key()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);
        var hold = Id(await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 20)));

        var captured = await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(hold, 12, key: "cap-1"));
        using var replay = await server.CaptureAsync(hold, 12, key: "cap-1");

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(captured.ToString(), (await BodyAsync(replay)).ToString());
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(hold, 13, key: "cap-1"));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.ReleaseAsync(hold, key: "cap-1"));
        Assert.Equal(88, await server.BalanceAsync(user));
        Assert.Equal(2, (await server.EntriesAsync(user)).Count);
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task A_keyed_release_replays_and_a_refused_step_leaves_its_key_free()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(10);

        // 402: nothing is remembered, so the same key works once the credits are there.
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.HoldAsync(user, 15, key: "big"));
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 10, "top-up"));
        var hold = Id(await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 15, key: "big")));

        // 409 on a settled hold: the key is given back too.
        var released = await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(hold, key: "rel-1"));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(hold, key: "cap-late"));
        var other = Id(await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 5)));
        await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(other, key: "cap-late"));
        using var replay = await server.ReleaseAsync(hold, key: "rel-1");

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(released.ToString(), (await BodyAsync(replay)).ToString());
        Assert.Equal(15, await server.BalanceAsync(user));
        await server.AssertConsistentAsync(user);
    }

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
}
