using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteCheckoutTests(SqliteFixture db) : CheckoutTests<SqliteFixture>(db);

public sealed class PostgresCheckoutTests(PostgresFixture db) : CheckoutTests<PostgresFixture>(db);

/// <summary>Checkout creation and the success page against a fake Stripe on loopback.</summary>
public abstract class CheckoutTests<TFixture>(TFixture db) : IClassFixture<TFixture>, IAsyncLifetime where TFixture : DatabaseFixture
{
    private FakeStripe _stripe = null!;

    public async ValueTask InitializeAsync() => _stripe = await FakeStripe.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _stripe.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static string User() => StripeEvents.NewId("u");

    private Task<CreditsServer> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        CreditsServer.StartAsync(db, s =>
        {
            _stripe.Configure(s);
            configure?.Invoke(s);
        });

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> CreateSessionAsync(CreditsServer server, string user, string pack = "pro")
    {
        (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        using var response = await server.Client.PostAsJsonAsync("/api/checkout/sessions", new
        {
            user_id = user,
            pack_id = pack,
            success_url = "https://app.example.com/paid?session_id={CHECKOUT_SESSION_ID}",
            cancel_url = "https://app.example.com/pricing",
        }, TestContext.Current.CancellationToken);
        return (await OkJsonAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> FulfillAsync(CreditsServer server, string sessionId)
    {
        using var response = await server.Client.PostAsync($"/api/checkout/sessions/{sessionId}/fulfill", null, TestContext.Current.CancellationToken);
        return await OkJsonAsync(response);
    }

    [Fact]
    public async Task Creating_a_session_sends_payment_mode_our_metadata_and_the_pack_price()
    {
        await using var server = await StartAsync();
        var user = User();
        (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();

        using var response = await server.Client.PostAsJsonAsync("/api/checkout/sessions", new
        {
            user_id = user,
            pack_id = "pro",
            success_url = "https://app.example.com/paid?session_id={CHECKOUT_SESSION_ID}",
            cancel_url = "https://app.example.com/pricing",
        }, TestContext.Current.CancellationToken);

        var body = await OkJsonAsync(response);
        var sent = Assert.Single(_stripe.RequestsTo("POST", "/v1/checkout/sessions"));
        Assert.Equal(body.GetProperty("id").GetString(), _stripe.Sessions.Keys.Single());
        Assert.Equal($"https://checkout.stripe.com/c/pay/{body.GetProperty("id").GetString()}", body.GetProperty("url").GetString());
        Assert.Equal($"Bearer {FakeStripe.SecretKey}", sent.Authorization);
        Assert.Equal("payment", sent.Form["mode"]);
        Assert.Equal(user, sent.Form["client_reference_id"]);
        Assert.Equal(user, sent.Form["metadata[user_id]"]);
        Assert.Equal("200", sent.Form["metadata[credits]"]);
        Assert.Equal("pro", sent.Form["metadata[pack_id]"]);
        Assert.Equal("1", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("1500", sent.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("usd", sent.Form["line_items[0][price_data][currency]"]);
        Assert.Equal("Pro", sent.Form["line_items[0][price_data][product_data][name]"]);
        Assert.False(sent.Form.ContainsKey("line_items[0][price]"));
        Assert.Equal("https://app.example.com/paid?session_id={CHECKOUT_SESSION_ID}", sent.Form["success_url"]);
        Assert.Equal("https://app.example.com/pricing", sent.Form["cancel_url"]);
        Assert.Equal(0, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task A_pack_with_a_Stripe_price_id_is_sold_by_that_price()
    {
        await using var server = await StartAsync(s => s["Packs:0:PriceId"] = "price_starter_live");

        await CreateSessionAsync(server, User(), "starter");

        var sent = Assert.Single(_stripe.RequestsTo("POST", "/v1/checkout/sessions"));
        Assert.Equal("price_starter_live", sent.Form["line_items[0][price]"]);
        Assert.DoesNotContain(sent.Form.Keys, k => k.Contains("price_data", StringComparison.Ordinal));
        Assert.Equal("50", sent.Form["metadata[credits]"]);
    }

    [Theory]
    [InlineData("{\"user_id\":\"u_1\",\"pack_id\":\"nope\",\"success_url\":\"https://a.example/s\",\"cancel_url\":\"https://a.example/c\"}")]
    [InlineData("{\"user_id\":\"bad id!\",\"pack_id\":\"pro\",\"success_url\":\"https://a.example/s\",\"cancel_url\":\"https://a.example/c\"}")]
    [InlineData("{\"user_id\":\"u_1\",\"pack_id\":\"pro\",\"success_url\":\"/relative\",\"cancel_url\":\"https://a.example/c\"}")]
    public async Task Bad_checkout_requests_are_400_and_never_reach_Stripe(string json)
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync("/api/checkout/sessions",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_stripe.Requests);
    }

    [Fact]
    public async Task Success_page_then_webhook_grants_once()
    {
        await using var server = await StartAsync();
        var user = User();
        var sessionId = await CreateSessionAsync(server, user);
        var paid = _stripe.Pay(sessionId);

        var page = await FulfillAsync(server, sessionId);
        var webhook = await server.DeliverAsync(StripeEvents.Completed(paid));

        Assert.Equal("granted", page.GetProperty("status").GetString());
        Assert.Equal(200, page.GetProperty("credits_added").GetInt64());
        Assert.Equal(200, page.GetProperty("balance").GetInt64());
        Assert.Equal("duplicate", webhook.GetProperty("status").GetString());
        Assert.Equal(0, webhook.GetProperty("credits_added").GetInt64());
        Assert.Equal(200, await server.BalanceAsync(user));
        var entry = Assert.Single(await server.EntriesAsync(user));
        Assert.Equal(sessionId, entry.SourceId);
    }

    [Fact]
    public async Task Webhook_then_success_page_grants_once_and_answers_with_the_existing_grant()
    {
        await using var server = await StartAsync();
        var user = User();
        var sessionId = await CreateSessionAsync(server, user);
        var paid = _stripe.Pay(sessionId);

        await server.DeliverAsync(StripeEvents.Completed(paid));
        var page = await FulfillAsync(server, sessionId);
        var again = await FulfillAsync(server, sessionId);

        foreach (var answer in new[] { page, again })
        {
            Assert.Equal("granted", answer.GetProperty("status").GetString());
            Assert.Equal(0, answer.GetProperty("credits_added").GetInt64());
            Assert.Equal(200, answer.GetProperty("credits").GetInt64());
            Assert.Equal(user, answer.GetProperty("user_id").GetString());
            Assert.Equal(200, answer.GetProperty("balance").GetInt64());
        }
        Assert.Equal(200, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Fact]
    public async Task Success_page_and_webhook_at_the_same_moment_grant_once()
    {
        await using var server = await StartAsync();
        var user = User();
        var sessionId = await CreateSessionAsync(server, user);
        var paid = _stripe.Pay(sessionId);

        await Task.WhenAll(FulfillAsync(server, sessionId), server.DeliverAsync(StripeEvents.Completed(paid)), FulfillAsync(server, sessionId));

        Assert.Equal(200, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Fact]
    public async Task Success_page_for_an_unpaid_session_stays_pending_until_the_money_arrives()
    {
        await using var server = await StartAsync();
        var user = User();
        var sessionId = await CreateSessionAsync(server, user);
        _stripe.Pay(sessionId, paymentStatus: "unpaid");

        var page = await FulfillAsync(server, sessionId);

        Assert.Equal("pending", page.GetProperty("status").GetString());
        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal("pending", await server.ScalarAsync<string>("SELECT status FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));

        var paid = _stripe.Pay(sessionId);
        await server.DeliverAsync(StripeEvents.Event("checkout.session.async_payment_succeeded", paid));

        Assert.Equal(200, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Success_page_for_a_session_Stripe_does_not_know_is_404()
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync("/api/checkout/sessions/cs_test_unknown/fulfill", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM checkout_payments WHERE session_id = 'cs_test_unknown'"));
    }

    [Fact]
    public async Task Without_metadata_credits_the_pack_whose_price_is_in_the_line_items_decides()
    {
        await using var server = await StartAsync(s => s["Packs:1:PriceId"] = "price_pro_live");
        var user = User();
        // An amount no pack costs (a coupon), so only the line items can tell it was the Pro pack.
        var session = StripeEvents.CheckoutSession(userId: user, amountTotal: 1234);
        var sessionId = (string)session["id"]!;
        _stripe.Sessions[sessionId] = session;
        _stripe.LineItems[sessionId] = [new FakeLineItem("price_pro_live", 1)];

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(200, await server.BalanceAsync(user));
        Assert.Single(_stripe.RequestsTo("GET", $"/v1/checkout/sessions/{sessionId}/line_items"));
    }

    [Fact]
    public async Task Line_items_are_not_fetched_when_metadata_says_the_credits()
    {
        await using var server = await StartAsync(s => s["Packs:1:PriceId"] = "price_pro_live");
        var user = User();

        await server.DeliverAsync(StripeEvents.Paid(user, 75));

        Assert.Equal(75, await server.BalanceAsync(user));
        Assert.Empty(_stripe.Requests);
    }
}
