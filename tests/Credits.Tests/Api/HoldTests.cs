using System.Net;
using System.Text.Json;
using Credits.Ledger;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteHoldTests(SqliteFixture db) : HoldTests<SqliteFixture>(db);

public sealed class PostgresHoldTests(PostgresFixture db) : HoldTests<PostgresFixture>(db);

/// <summary>Holds: reserve, then capture or release; expired holds give their credits back by themselves.</summary>
public abstract class HoldTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    protected TFixture Db { get; } = db;

    private static string Id(JsonElement hold) => hold.GetProperty("id").GetString()!;

    private static (long Balance, long Held, long Available) Funds(JsonElement body) =>
        (body.GetProperty("balance").GetInt64(), body.GetProperty("held").GetInt64(), body.GetProperty("available").GetInt64());

    [Fact]
    public async Task A_hold_reserves_credits_and_a_partial_capture_charges_only_what_was_used()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);

        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 40, ttlSeconds: 300));
        Assert.Equal((100, 40, 60), Funds(hold));
        Assert.Equal((100, 40, 60), Funds(await server.UserAsync(user)));
        Assert.Single(await server.EntriesAsync(user));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 61, "too-much"));

        var captured = await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(Id(hold), 25));

        Assert.Equal("captured", captured.GetProperty("status").GetString());
        Assert.Equal(25, captured.GetProperty("captured").GetInt64());
        Assert.Equal((75, 0, 75), Funds(captured));
        Assert.Equal((75, 0, 75), Funds(await server.UserAsync(user)));
        var entry = (await server.EntriesAsync(user))[0];
        Assert.Equal((-25L, Holds.CaptureSourceKind, Id(hold)), (entry.Amount, entry.SourceKind, entry.SourceId));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Capture_without_a_body_charges_the_whole_hold()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(50);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 20));

        var captured = await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(Id(hold)));

        Assert.Equal(20, captured.GetProperty("captured").GetInt64());
        Assert.Equal(30, await server.BalanceAsync(user));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Release_gives_the_credits_back_and_writes_no_ledger_entry()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 100));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 1, "blocked"));

        var released = await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(Id(hold)));

        Assert.Equal("released", released.GetProperty("status").GetString());
        Assert.Equal((100, 0, 100), Funds(released));
        Assert.Single(await server.EntriesAsync(user));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 100, "now-free"));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task An_expired_hold_releases_itself()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 70, ttlSeconds: 60));
        server.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal((100, 70, 30), Funds(await server.UserAsync(user)));

        server.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal((100, 0, 100), Funds(await server.UserAsync(user)));
        var read = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/holds/{Id(hold)}", TestContext.Current.CancellationToken));
        Assert.Equal("expired", read.GetProperty("status").GetString());
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 100, "after-expiry"));
        Assert.Equal(0, await server.BalanceAsync(user));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(Id(hold)));
        Assert.Equal("expired", await server.ScalarAsync<string>("SELECT status FROM holds WHERE id = @id", new { id = Id(hold) }));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Capturing_an_expired_hold_is_409_and_releases_it()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(10);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 10, ttlSeconds: 5));
        server.Time.Advance(TimeSpan.FromSeconds(5));

        var problem = await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(Id(hold)));

        Assert.Contains("expired", problem.GetProperty("detail").GetString());
        Assert.Equal(10, await server.BalanceAsync(user));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT held FROM accounts WHERE id = @user", new { user }));
        var released = await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(Id(hold)));
        Assert.Equal("expired", released.GetProperty("status").GetString());
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Retried_captures_and_releases_answer_200_and_charge_once()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 30));
        var other = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 10));

        var captures = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(
            () => server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(Id(hold), 20)), TestContext.Current.CancellationToken)));
        await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(Id(other)));
        await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(Id(other)));

        Assert.All(captures, c => Assert.Equal(20, c.GetProperty("captured").GetInt64()));
        Assert.Equal(80, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user), e => e.SourceKind == Holds.CaptureSourceKind);
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(Id(hold), 30));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.ReleaseAsync(Id(hold)));
        await server.ExpectAsync(HttpStatusCode.Conflict, server.CaptureAsync(Id(other)));
        Assert.Equal((80, 0, 80), Funds(await server.UserAsync(user)));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Bad_holds_and_captures_are_refused_and_change_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(50);

        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.HoldAsync(user, 51));
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.HoldAsync(user, 5, ttlSeconds: 0));
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.HoldAsync(user, 5, ttlSeconds: HoldsApiMaxTtl + 1));
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 20));
        var tooMuch = await server.ExpectAsync(HttpStatusCode.BadRequest, server.CaptureAsync(Id(hold), 21));
        Assert.Contains("more than the 20 held", tooMuch.GetProperty("detail").GetString());
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.PostJsonAsync($"/api/holds/{Id(hold)}/capture", """{"credits":0}""", null));
        await server.ExpectAsync(HttpStatusCode.NotFound, server.CaptureAsync("hold_missing"));
        await server.ExpectAsync(HttpStatusCode.NotFound, server.ReleaseAsync("hold_missing"));

        Assert.Equal((50, 20, 30), Funds(await server.UserAsync(user)));
        Assert.Single(await server.EntriesAsync(user));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task A_capture_after_a_reversal_took_the_credits_is_402_and_the_hold_stays_active()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(30);
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 30));
        var ledger = server.Services.GetRequiredService<CreditLedger>();
        await using (var tx = await ledger.Database.BeginAsync(TestContext.Current.CancellationToken))
        {
            await ledger.PostAsync(tx, new Posting(user, -20, "reversal", "refund", StripeEvents.NewId("re")), TestContext.Current.CancellationToken);
            await tx.CommitAsync(TestContext.Current.CancellationToken);
        }

        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.CaptureAsync(Id(hold)));
        var partial = await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(Id(hold), 10));

        Assert.Equal((0, 0, 0), Funds(partial));
        await server.AssertConsistentAsync(user);
    }

    private const int HoldsApiMaxTtl = Credits.Api.HoldsApi.MaxTtlSeconds;
}
