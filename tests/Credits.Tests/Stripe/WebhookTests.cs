using System.Net;
using System.Text;
using System.Text.Json;
using Credits.Stripe;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteWebhookTests(SqliteFixture db) : WebhookTests<SqliteFixture>(db);

public sealed class PostgresWebhookTests(PostgresFixture db) : WebhookTests<PostgresFixture>(db);

/// <summary>The webhook end to end: signed deliveries in, balances, ledger rows and stored events out.</summary>
public abstract class WebhookTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    protected TFixture Db { get; } = db;

    private static string User() => StripeEvents.NewId("u");

    [Fact]
    public async Task Paid_checkout_grants_its_credits_to_the_user()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();
        var json = StripeEvents.Paid(user, 50);
        var eventId = StripeEvents.Parse(json).GetProperty("id").GetString()!;

        var body = await server.DeliverAsync(json);

        Assert.True(body.GetProperty("ok").GetBoolean());
        Assert.Equal(eventId, body.GetProperty("event_id").GetString());
        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(50, body.GetProperty("credits_added").GetInt64());
        Assert.Equal(user, body.GetProperty("user_id").GetString());
        Assert.Equal(50, body.GetProperty("balance").GetInt64());
        Assert.Equal(50, await server.BalanceAsync(user));
        var entry = Assert.Single(await server.EntriesAsync(user));
        Assert.Equal(50, entry.Amount);
        Assert.Equal("checkout_session", entry.SourceKind);
        Assert.Equal("granted", await server.ScalarAsync<string>("SELECT status FROM webhook_events WHERE id = @eventId", new { eventId }));
    }

    [Fact]
    public async Task Root_path_is_a_webhook_too()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();

        using var response = await server.PostEventAsync(StripeEvents.Paid(user, 7), path: "/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Duplicate_delivery_grants_once_and_repeats_the_original_outcome()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();
        var json = StripeEvents.Paid(user, 50);

        await server.DeliverAsync(json);
        var again = await server.DeliverAsync(json);

        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        Assert.Equal("granted", again.GetProperty("original_status").GetString());
        Assert.Equal(50, again.GetProperty("credits_added").GetInt64());
        Assert.Equal(50, again.GetProperty("balance").GetInt64());
        Assert.Equal(50, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Fact]
    public async Task Twenty_concurrent_deliveries_of_one_event_grant_once()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();
        var json = StripeEvents.Paid(user, 50);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => server.DeliverAsync(json))));

        Assert.Single(responses, r => r.GetProperty("status").GetString() == "granted");
        Assert.Equal(19, responses.Count(r => r.GetProperty("status").GetString() == "duplicate"));
        Assert.Equal(50, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Fact]
    public async Task Two_different_events_for_one_session_grant_once()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, credits: 50);
        var completed = StripeEvents.Completed(session);
        var succeeded = StripeEvents.Event("checkout.session.async_payment_succeeded", session.DeepClone().AsObject());

        var results = await Task.WhenAll(Task.Run(() => server.DeliverAsync(completed)), Task.Run(() => server.DeliverAsync(succeeded)));

        Assert.Single(results, r => r.GetProperty("status").GetString() == "granted");
        Assert.Single(results, r => r.GetProperty("status").GetString() == "duplicate" && r.GetProperty("credits_added").GetInt64() == 0);
        Assert.Equal(50, await server.BalanceAsync(user));
        Assert.Equal(2, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events WHERE object_id = @id", new { id = session["id"]!.GetValue<string>() }));
    }

    public static TheoryData<string, string> BadSignatures => new()
    {
        { "missing", "" },
        { "empty", " " },
        { "no equals sign", "garbage" },
        { "no timestamp", "v1=" + new string('a', 64) },
        { "timestamp not a number", "t=abc,v1=" + new string('a', 64) },
        { "no v1", "t={now},v0={sig}" },
        { "v1 that does not match", "t={now},v1=" + new string('0', 64) },
        { "v1 not hex", "t={now},v1=zz" },
        { "signed with another secret", "t={now},v1={other}" },
        { "signature of another timestamp", "t={later},v1={sig}" },
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task Bad_signature_is_400_problem_and_stores_nothing(string why, string header)
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();
        var json = StripeEvents.Paid(user, 50);
        var now = server.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        header = header
            .Replace("{now}", now)
            .Replace("{later}", (long.Parse(now) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{sig}", TestEvents.Signature(CreditsServer.WebhookSecret, now, Encoding.UTF8.GetBytes(json)))
            .Replace("{other}", TestEvents.Signature("whsec_someone_else", now, Encoding.UTF8.GetBytes(json)));
        var eventsBefore = await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events");

        using var response = await server.PostRawAsync(json, why == "missing" ? null : header);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(eventsBefore, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events"));
        Assert.Null(await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData(-301, false)]
    [InlineData(-299, true)]
    [InlineData(299, true)]
    [InlineData(301, false)]
    public async Task Timestamps_outside_300_seconds_either_way_are_refused(int offsetSeconds, bool accepted)
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();

        using var response = await server.PostEventAsync(StripeEvents.Paid(user, 5), signedAt: server.Time.GetUtcNow().AddSeconds(offsetSeconds));

        Assert.Equal(accepted ? HttpStatusCode.OK : HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(accepted ? 5 : null, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task During_secret_rotation_either_secret_is_accepted()
    {
        const string old = "whsec_old_secret_abcdef", current = "whsec_new_secret_123456";
        await using var server = await CreditsServer.StartAsync(Db, s => s["STRIPE_WEBHOOK_SECRET"] = $"{old}, {current}");
        var (first, second, third) = (User(), User(), User());
        var t = server.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var both = StripeEvents.Paid(third, 3);

        using var a = await server.PostEventAsync(StripeEvents.Paid(first, 1), secret: old);
        using var b = await server.PostEventAsync(StripeEvents.Paid(second, 2), secret: current);
        using var c = await server.PostRawAsync(both,
            $"t={t},v1={TestEvents.Signature("whsec_retired", t, Encoding.UTF8.GetBytes(both))},v1={TestEvents.Signature(current, t, Encoding.UTF8.GetBytes(both))}");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], [a.StatusCode, b.StatusCode, c.StatusCode]);
        Assert.Equal(1, await server.BalanceAsync(first));
        Assert.Equal(2, await server.BalanceAsync(second));
        Assert.Equal(3, await server.BalanceAsync(third));
    }

    [Fact]
    public async Task Body_over_one_MiB_is_413_and_stores_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var session = StripeEvents.CheckoutSession(userId: User(), credits: 1);
        session["padding"] = new string('x', 1024 * 1024);
        var eventsBefore = await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events");

        using var response = await server.PostEventAsync(StripeEvents.Completed(session));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(eventsBefore, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events"));
    }

    [Theory]
    [InlineData("{\"id\": \"evt_1\", \"object\": \"event\",")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"id\": \"evt_1\", \"object\": \"charge\", \"type\": \"x\", \"data\": {\"object\": {}}}")]
    [InlineData("{\"id\": 12, \"object\": \"event\", \"type\": \"checkout.session.completed\", \"data\": {\"object\": {}}}")]
    [InlineData("{\"id\": \"evt_1\", \"object\": \"event\", \"type\": \"checkout.session.completed\"}")]
    public async Task Validly_signed_body_that_is_not_an_event_is_400_not_500(string body)
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var eventsBefore = await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events");

        using var response = await server.PostEventAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(eventsBefore, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events"));
    }

    [Fact]
    public async Task Unknown_event_type_is_stored_and_ignored()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var json = StripeEvents.Event("customer.created", new() { ["id"] = "cus_123", ["object"] = "customer" });
        var eventId = StripeEvents.Parse(json).GetProperty("id").GetString();

        var body = await server.DeliverAsync(json);

        Assert.Equal("ignored", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("credits_added").GetInt64());
        Assert.Equal("ignored", await server.ScalarAsync<string>("SELECT status FROM webhook_events WHERE id = @eventId", new { eventId }));
        Assert.Equal(json, await server.ScalarAsync<string>("SELECT payload FROM webhook_events WHERE id = @eventId", new { eventId }));
    }

    [Fact]
    public async Task Unpaid_checkout_is_pending_and_grants_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 50, paymentStatus: "unpaid")));

        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Null(await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData("setup")]
    [InlineData("subscription")]
    public async Task Checkout_that_is_not_a_payment_is_ignored(string mode)
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 50, mode: mode)));

        Assert.Equal("ignored", body.GetProperty("status").GetString());
        Assert.Null(await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Full_discount_with_no_payment_required_grants()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = User();

        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 50, amountTotal: 0, paymentStatus: "no_payment_required")));

        Assert.Equal(50, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Event_of_the_other_mode_is_stored_and_ignored()
    {
        await using var server = await CreditsServer.StartAsync(Db, s => s["CREDITS_LIVEMODE"] = "true");
        var user = User();

        var body = await server.DeliverAsync(StripeEvents.Paid(user, 50));

        Assert.Equal("ignored", body.GetProperty("status").GetString());
        Assert.Contains("livemode", body.GetProperty("detail").GetString());
        Assert.Null(await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Restart_keeps_balances()
    {
        var user = User();
        await using (var first = await CreditsServer.StartAsync(Db))
        {
            await first.DeliverAsync(StripeEvents.Paid(user, 30));
        }
        await using var second = await CreditsServer.StartAsync(Db);

        await second.DeliverAsync(StripeEvents.Paid(user, 12));

        Assert.Equal(42, await second.BalanceAsync(user));
        Assert.Equal(2, (await second.EntriesAsync(user)).Count);
    }
}
