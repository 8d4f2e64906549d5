using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Ledger;
using Credits.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Credits.Tests.Webhooks;

public sealed class SqliteOutboundWebhookTests(SqliteFixture db) : OutboundWebhookTests<SqliteFixture>(db);

public sealed class PostgresOutboundWebhookTests(PostgresFixture db) : OutboundWebhookTests<PostgresFixture>(db);

/// <summary>
/// Outbound webhooks end to end: the real server writes messages with each change and its sender
/// posts them to a real receiver on loopback; every delivery is checked with the StandardWebhooks
/// package's verifier.
/// </summary>
public abstract class OutboundWebhookTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    protected TFixture Db { get; } = db;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_purchase_a_spend_and_a_refund_each_send_their_message_signed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url);
        var user = StripeEvents.NewId("u");
        var session = StripeEvents.CheckoutSession(userId: user, credits: 100);
        var paymentIntent = session["payment_intent"]!.GetValue<string>();

        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 30, "match-1", "resume match"));
        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, amount: 500, amountRefunded: 250));

        await receiver.WaitForAsync(r => r.Count >= 3);
        var received = receiver.Verified(secret);
        Assert.Equal(["credits.granted", "credits.spent", "credits.reversed"], received.Select(r => r.Type));
        var granted = received[0].Data;
        Assert.Equal(user, granted.GetProperty("account_id").GetString());
        Assert.Equal(100, granted.GetProperty("credits").GetInt64());
        Assert.Equal(100, granted.GetProperty("balance").GetInt64());
        Assert.Equal(session["id"]!.GetValue<string>(), granted.GetProperty("checkout_session_id").GetString());
        Assert.Equal(paymentIntent, granted.GetProperty("payment_intent_id").GetString());
        var spent = received[1].Data;
        Assert.Equal((30, 70, 70, "spend", "resume match"), (spent.GetProperty("credits").GetInt64(), spent.GetProperty("balance").GetInt64(),
            spent.GetProperty("available").GetInt64(), spent.GetProperty("source").GetString(), spent.GetProperty("reason").GetString()));
        Assert.Equal(await server.ScalarAsync<long>("SELECT id FROM ledger_entries WHERE account_id = @user AND source_kind = 'spend'", new { user }),
            spent.GetProperty("ledger_entry_id").GetInt64());
        var reversed = received[2].Data;
        Assert.Equal(50, reversed.GetProperty("credits").GetInt64());
        Assert.Equal(20, reversed.GetProperty("balance").GetInt64());
        Assert.Equal("refund", reversed.GetProperty("source").GetString());
        Assert.Equal(paymentIntent, reversed.GetProperty("payment_intent_id").GetString());
        Assert.StartsWith("ch_", reversed.GetProperty("charge_id").GetString());
        // The webhook-id is the stored message id; the body is {type, timestamp, data}.
        Assert.All(received, r => Assert.EndsWith($"_{endpoint}", r.Id));
        Assert.All(received, r => Assert.True(DateTimeOffset.TryParse(r.Json.GetProperty("timestamp").GetString(), out _)));
        await WaitDeliveredAsync(server, 3);
    }

    [Fact]
    public async Task A_parked_payment_and_a_reassignment_each_send_their_message_signed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var (_, secret) = await server.AddEndpointAsync(receiver.Url, ["payment.unmatched", "payment.reassigned"]);
        var parked = StripeEvents.CheckoutSession(credits: 7, email: $"{StripeEvents.NewId("nobody")}@example.com");
        Assert.Equal("unmatched", (await server.DeliverAsync(StripeEvents.Completed(parked))).GetProperty("status").GetString());
        var (wrong, right) = (await server.UserWithAsync(0), await server.UserWithAsync(0));
        var purchase = StripeEvents.CheckoutSession(userId: wrong, credits: 50);
        await server.DeliverAsync(StripeEvents.Completed(purchase));
        var sessionId = purchase["id"]!.GetValue<string>();
        await server.ExpectAsync(HttpStatusCode.OK, server.PostJsonAsync($"/api/payments/{sessionId}/reassign",
            JsonSerializer.Serialize(new { user_id = right, reason = "paid from a stale login" }), "fix-1"));

        await receiver.WaitForAsync(r => r.Count >= 2);
        // Two accounts (none, and the one the purchase left): neither waits for the other, so no order between them.
        var received = receiver.Verified(secret);
        Assert.Equal(2, received.Count);
        var unmatched = Assert.Single(received, r => r.Type == "payment.unmatched").Data;
        Assert.Equal(JsonValueKind.Null, unmatched.GetProperty("account_id").ValueKind);
        Assert.Equal((7L, parked["id"]!.GetValue<string>(), parked["payment_intent"]!.GetValue<string>()),
            (unmatched.GetProperty("credits").GetInt64(), unmatched.GetProperty("checkout_session_id").GetString(), unmatched.GetProperty("payment_intent_id").GetString()));
        Assert.False(string.IsNullOrEmpty(unmatched.GetProperty("reason_code").GetString()));
        var reassigned = Assert.Single(received, r => r.Type == "payment.reassigned").Data;
        Assert.Equal((wrong, right, 50L, 0L, 50L, sessionId),
            (reassigned.GetProperty("account_id").GetString(), reassigned.GetProperty("to_account_id").GetString(), reassigned.GetProperty("credits").GetInt64(),
             reassigned.GetProperty("balance").GetInt64(), reassigned.GetProperty("to_balance").GetInt64(), reassigned.GetProperty("checkout_session_id").GetString()));
        await WaitDeliveredAsync(server, 2);
    }

    [Fact]
    public async Task An_expired_lot_sends_credits_expired_once_with_its_lot()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(5);
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url, ["credits.expired"]);
        // Minutes, not days: the receiver's verifier checks the signed timestamp against the real clock (5 min tolerance).
        var lot = await GrantLotAsync(server, user, 30, server.Time.GetUtcNow().AddMinutes(1));
        server.Time.Advance(TimeSpan.FromMinutes(2));

        var sweep = server.Services.GetRequiredService<LotExpiry>();
        await sweep.SweepAsync(1000, Cancel);
        await sweep.SweepAsync(1000, Cancel);

        await WaitDeliveredAsync(server, 1, endpoint);
        var expired = Assert.Single(receiver.Verified(secret));
        Assert.Equal("credits.expired", expired.Type);
        Assert.Equal((user, 30L, 5L, lot), (expired.Data.GetProperty("account_id").GetString(), expired.Data.GetProperty("credits").GetInt64(),
            expired.Data.GetProperty("balance").GetInt64(), expired.Data.GetProperty("lot_id").GetInt64()));
        Assert.Equal(5, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task A_lot_sends_credits_expiring_soon_once_seven_days_before_it_expires_then_credits_expired()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The receiver's verifier checks signed timestamps against the real clock, so the server's
        // clock starts 3.5 days back and the warning is sent once it has caught up with now.
        await using var server = await StartAsync(DateTimeOffset.UtcNow.AddDays(-3.5));
        var user = await server.UserWithAsync(5);
        var spender = await server.UserWithAsync(0);
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url, ["credits.expiring_soon", "credits.expired"]);
        var expiresAt = server.Time.GetUtcNow().AddDays(10);
        var lot = await GrantLotAsync(server, user, 30, expiresAt);
        await GrantLotAsync(server, spender, 20, expiresAt);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(spender, 20, "all-of-it"));
        var sweep = server.Services.GetRequiredService<LotExpiry>();

        await sweep.SweepAsync(1000, Cancel);
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_messages WHERE endpoint_id = @endpoint", new { endpoint }));

        // 6.5 days before expiry: sweeps at once (the server's own runs too, on this clock) and again warn once.
        server.Time.Advance(TimeSpan.FromDays(3.5));
        await Task.WhenAll(sweep.SweepAsync(1000, Cancel), sweep.SweepAsync(1000, Cancel));
        await sweep.SweepAsync(1000, Cancel);

        await WaitDeliveredAsync(server, 1, endpoint);
        var warning = Assert.Single(receiver.Verified(secret));
        Assert.Equal("credits.expiring_soon", warning.Type);
        Assert.Equal((user, lot, 30L, 35L, "promotional"), (warning.Data.GetProperty("account_id").GetString(), warning.Data.GetProperty("lot_id").GetInt64(),
            warning.Data.GetProperty("credits").GetInt64(), warning.Data.GetProperty("balance").GetInt64(), warning.Data.GetProperty("category").GetString()));
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), warning.Data.GetProperty("expires_at").GetDateTimeOffset().ToUnixTimeMilliseconds());

        // At expiry the remainder is booked and credits.expired follows. Signed a week ahead of the
        // real clock, it is read from the deliveries rather than verified.
        server.Time.Advance(TimeSpan.FromDays(7));
        await sweep.SweepAsync(1000, Cancel);
        await WaitDeliveredAsync(server, 2, endpoint);
        var messages = await MessagesAsync(server, endpoint);
        Assert.Equal([("credits.expiring_soon", lot), ("credits.expired", lot)], messages.Select(m => (m.Type, m.Data.GetProperty("lot_id").GetInt64())));
        Assert.Equal(["credits.expiring_soon", "credits.expired"], receiver.Requests.Select(r => r.Type));
        Assert.Equal(5, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Without_an_endpoint_nothing_is_written()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(100);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 10, "k1"));
        await server.DeliverAsync(StripeEvents.Paid(user, 50));

        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_messages WHERE account_id = @user", new { user }));
    }

    [Fact]
    public async Task A_refused_spend_sends_nothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(20);
        var (endpoint, _) = await server.AddEndpointAsync(receiver.Url);

        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 30, "too-much"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 5, "fits"));

        await WaitDeliveredAsync(server, 1, endpoint);
        var messages = await MessagesAsync(server, endpoint);
        Assert.Equal([("credits.spent", 5L)], messages.Select(m => (m.Type, m.Data.GetProperty("credits").GetInt64())));
    }

    [Fact]
    public async Task Balance_low_is_sent_once_per_crossing_and_again_after_a_rise()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(100);
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url, ["balance.low"], lowBalanceThreshold: 50);

        foreach (var (credits, key) in new[] { (30L, "a"), (30L, "b"), (10L, "c") })
        {
            await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, credits, key));
        }
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 100, "top-up"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 90, "d"));
        // A hold lowers the available balance too, but 40 → 35 is already below the threshold: no new crossing.
        await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 5, key: "h1"));

        await receiver.WaitForAsync(r => r.Count >= 2);
        await WaitDeliveredAsync(server, 2, endpoint);
        var lows = receiver.Verified(secret);
        Assert.Equal(2, lows.Count);
        Assert.All(lows, r => Assert.Equal("balance.low", r.Type));
        Assert.Equal([40L, 40L], lows.Select(r => r.Data.GetProperty("available").GetInt64()));
        Assert.All(lows, r => Assert.Equal(50, r.Data.GetProperty("threshold").GetInt64()));
        Assert.All(lows, r => Assert.Equal(user, r.Data.GetProperty("account_id").GetString()));
    }

    [Fact]
    public async Task Balance_low_fires_once_under_100_concurrent_spends()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(1000);
        var (endpoint, _) = await server.AddEndpointAsync("http://127.0.0.1:9/unused", ["balance.low", "credits.spent"], lowBalanceThreshold: 500);

        var spends = Enumerable.Range(0, 100).Select(i => server.SpendAsync(user, 10, $"c{i}")).ToArray();
        foreach (var response in await Task.WhenAll(spends))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal(1, await server.ScalarAsync<long>(
            "SELECT COUNT(*) FROM webhook_messages WHERE endpoint_id = @endpoint AND event_type = 'balance.low'", new { endpoint }));
        Assert.Equal(100, await server.ScalarAsync<long>(
            "SELECT COUNT(*) FROM webhook_messages WHERE endpoint_id = @endpoint AND event_type = 'credits.spent'", new { endpoint }));
    }

    [Fact]
    public async Task A_failing_receiver_gets_every_message_in_order_with_attempts_growing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => n < 3 ? 500 : 200;
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(100);
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url, ["credits.spent"]);
        foreach (var key in new[] { "s1", "s2", "s3" })
        {
            await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 10, key));
        }

        // Back-off is on the server's clock: move it on while the receiver fails.
        var ticks = 0;
        await receiver.WaitForAsync(r => r.Count >= 6, tick: () =>
        {
            if (++ticks % 10 == 0)
            {
                server.Time.Advance(TimeSpan.FromSeconds(30));
            }
        });

        var received = receiver.Verified(secret);
        var balances = received.Select(r => r.Data.GetProperty("balance").GetInt64()).ToArray();
        Assert.Equal([90L, 90L, 90L, 90L, 80L, 70L], balances);
        Assert.Single(received.Select(r => r.Id).Take(4).Distinct());
        var deliveries = await WaitDeliveredAsync(server, 3, endpoint);
        Assert.Equal([4L, 1L, 1L], deliveries.Select(d => d.GetProperty("attempts").GetInt64()));
        Assert.All(deliveries, d => Assert.Equal(200, d.GetProperty("last_status_code").GetInt32()));
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_a_message_gives_up_after_3_days()
    {
        await using var gone = await WebhookReceiver.StartAsync();
        gone.Answer = _ => 410;
        await using var failing = await WebhookReceiver.StartAsync();
        failing.Answer = _ => 503;
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(100);
        var (goneId, _) = await server.AddEndpointAsync(gone.Url, ["credits.spent"]);
        var (failingId, _) = await server.AddEndpointAsync(failing.Url, ["credits.spent"]);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 10, "s1"));

        await gone.WaitForAsync(r => r.Count >= 1);
        var until = DateTime.UtcNow.AddSeconds(30);
        JsonElement failed;
        while (true)
        {
            var list = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/webhook-deliveries?endpoint={failingId}&status=failed", Cancel));
            if (list.GetProperty("deliveries").GetArrayLength() == 1)
            {
                failed = list.GetProperty("deliveries")[0];
                break;
            }
            Assert.True(DateTime.UtcNow < until, "the message did not give up");
            server.Time.Advance(TimeSpan.FromHours(7));
            await Task.Delay(100, Cancel);
        }

        Assert.Equal(503, failed.GetProperty("last_status_code").GetInt32());
        Assert.True(failed.GetProperty("attempts").GetInt64() >= 2);
        Assert.Equal(failed.GetProperty("attempts").GetInt64(), failing.Requests.Count);
        var endpoints = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync("/api/webhook-endpoints", Cancel));
        var goneView = endpoints.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("id").GetString() == goneId);
        Assert.False(goneView.GetProperty("enabled").GetBoolean());
        Assert.Contains("410", goneView.GetProperty("disabled_reason").GetString());
        Assert.Single(gone.Requests);

        // A retry sends the failed message again, with the same webhook-id.
        failing.Answer = _ => 200;
        var id = failed.GetProperty("id").GetString()!;
        await server.ExpectAsync(HttpStatusCode.Accepted, server.Client.PostAsync($"/api/webhook-deliveries/{id}/retry", null, Cancel));
        await failing.WaitForAsync(r => r.Count(x => x.Id == id) > failed.GetProperty("attempts").GetInt64());
        await WaitDeliveredAsync(server, 1, failingId);
    }

    [Fact]
    public async Task Endpoint_requests_that_cannot_work_are_refused_and_store_nothing()
    {
        await using var server = await StartAsync();
        foreach (var body in new object[]
        {
            new { url = "ftp://example.com/hooks" },
            new { url = "not a url" },
            new { url = "http://localhost/webhooks/stripe" },
            new { url = "https://example.com/hooks", event_types = new[] { "credits.stolen" } },
            new { url = "https://example.com/hooks", event_types = Array.Empty<string>() },
            new { url = "https://example.com/hooks", low_balance_threshold = -1 },
        })
        {
            var problem = await server.ExpectAsync(HttpStatusCode.BadRequest, server.Client.PostAsJsonAsync("/api/webhook-endpoints", body, Cancel));
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        }
        await server.ExpectAsync(HttpStatusCode.NotFound, server.Client.DeleteAsync("/api/webhook-endpoints/ep_missing", Cancel));
        await server.ExpectAsync(HttpStatusCode.NotFound, server.Client.PostAsync("/api/webhook-deliveries/msg_missing/retry", null, Cancel));
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.Client.GetAsync("/api/webhook-deliveries?status=lost", Cancel));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_endpoints"));
    }

    [Fact]
    public async Task The_secret_is_shown_once_and_a_deleted_endpoint_gets_nothing_more()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync();
        var (endpoint, secret) = await server.AddEndpointAsync(receiver.Url);
        Assert.StartsWith("whsec_", secret);
        var list = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync("/api/webhook-endpoints", Cancel));
        Assert.DoesNotContain(secret, list.GetRawText());

        var ping = await server.ExpectAsync(HttpStatusCode.Accepted, server.Client.PostAsync($"/api/webhook-endpoints/{endpoint}/test", null, Cancel));
        await receiver.WaitForAsync(r => r.Count == 1);
        var received = Assert.Single(receiver.Verified(secret));
        Assert.Equal("ping", received.Type);
        Assert.Equal(ping.GetProperty("message_id").GetString(), received.Id);

        await server.ExpectAsync(HttpStatusCode.NoContent, server.Client.DeleteAsync($"/api/webhook-endpoints/{endpoint}", Cancel));
        var user = await server.UserWithAsync(10);
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_messages WHERE endpoint_id = @endpoint", new { endpoint }));
        Assert.Equal(10, await server.BalanceAsync(user));
    }

    /// <summary>A server on the class's database with no endpoint left by an earlier test; its clock starts at <paramref name="now"/>, or the real time.</summary>
    private async Task<CreditsServer> StartAsync(DateTimeOffset? now = null)
    {
        var server = await CreditsServer.StartAsync(Db, now: now);
        await using var tx = await server.Database.BeginAsync(Cancel);
        await tx.ExecuteAsync("DELETE FROM webhook_messages", null, Cancel);
        await tx.ExecuteAsync("DELETE FROM webhook_endpoints", null, Cancel);
        await tx.CommitAsync(Cancel);
        return server;
    }

    /// <summary>A manual grant of promotional credits expiring at <paramref name="expiresAt"/>; returns its lot.</summary>
    private static async Task<long> GrantLotAsync(CreditsServer server, string user, long credits, DateTimeOffset expiresAt)
    {
        await server.ExpectAsync(HttpStatusCode.OK, server.PostJsonAsync($"/api/users/{user}/grants",
            JsonSerializer.Serialize(new { credits, reason = "promo", expires_at = expiresAt.ToString("O") }), $"lot-{expiresAt.Ticks}"));
        return await server.ScalarAsync<long>("SELECT MAX(id) FROM credit_lots WHERE account_id = @user AND expires_at IS NOT NULL", new { user });
    }

    private static async Task<IReadOnlyList<(string Type, JsonElement Data)>> MessagesAsync(CreditsServer server, string endpoint)
    {
        var list = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/webhook-deliveries?endpoint={endpoint}", Cancel));
        return [.. list.GetProperty("deliveries").EnumerateArray().Reverse()
            .Select(d => JsonDocument.Parse(d.GetProperty("payload").GetString()!).RootElement.Clone())
            .Select(p => (p.GetProperty("type").GetString()!, p.GetProperty("data")))];
    }

    /// <summary>Waits until <paramref name="count"/> messages (of the endpoint, if given) are delivered; returns them oldest first.</summary>
    private static async Task<IReadOnlyList<JsonElement>> WaitDeliveredAsync(CreditsServer server, int count, string? endpoint = null)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var list = await server.ExpectAsync(HttpStatusCode.OK,
                server.Client.GetAsync($"/api/webhook-deliveries?status=delivered{(endpoint is null ? "" : $"&endpoint={endpoint}")}", Cancel));
            var deliveries = list.GetProperty("deliveries").EnumerateArray().Reverse().ToArray();
            if (deliveries.Length >= count)
            {
                return deliveries;
            }
            Assert.True(DateTime.UtcNow < until, $"only {deliveries.Length} of {count} messages were delivered");
            await Task.Delay(50, Cancel);
        }
    }
}
