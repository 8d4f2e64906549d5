using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteUnmatchedPaymentsTests(SqliteFixture db) : UnmatchedPaymentsTests<SqliteFixture>(db);

public sealed class PostgresUnmatchedPaymentsTests(PostgresFixture db) : UnmatchedPaymentsTests<PostgresFixture>(db);

/// <summary>The operator queue: parked payments are listed, assigned once, or claimed by email.</summary>
public abstract class UnmatchedPaymentsTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> ParkAsync(CreditsServer server, string email, long? credits = 40, long amount = 500)
    {
        var session = StripeEvents.CheckoutSession(credits: credits, email: email, amountTotal: amount, currency: "usd");
        var body = await server.DeliverAsync(StripeEvents.Completed(session));
        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        return session["id"]!.GetValue<string>();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();

    [Fact]
    public async Task Parked_payment_is_listed_with_its_reason()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var email = $"{StripeEvents.NewId("buyer")}@example.com";
        var sessionId = await ParkAsync(server, email);

        var list = await server.Client.GetFromJsonAsync<JsonElement>("/api/payments/unmatched?limit=200", Cancel);

        var payment = Assert.Single(list.GetProperty("payments").EnumerateArray(), p => p.GetProperty("checkout_session_id").GetString() == sessionId);
        Assert.Equal(email, payment.GetProperty("email").GetString());
        Assert.Equal(40, payment.GetProperty("credits").GetInt64());
        Assert.Contains("no account has the email", payment.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Assigning_twice_grants_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var sessionId = await ParkAsync(server, $"{StripeEvents.NewId("buyer")}@example.com");
        var user = StripeEvents.NewId("u");

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = user }, Cancel)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(JsonAsync));
        Assert.Single(bodies, b => b.GetProperty("status").GetString() == "granted" && b.GetProperty("credits_added").GetInt64() == 40);
        Assert.Equal(40, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
        Assert.Equal("granted", await server.ScalarAsync<string>("SELECT status FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
    }

    [Fact]
    public async Task Assigning_to_another_user_after_a_grant_is_409_and_changes_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var sessionId = await ParkAsync(server, $"{StripeEvents.NewId("buyer")}@example.com");
        var (first, second) = (StripeEvents.NewId("u"), StripeEvents.NewId("u"));
        (await server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = first }, Cancel)).EnsureSuccessStatusCode();

        using var response = await server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = second }, Cancel);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(first, (await JsonAsync(response)).GetProperty("detail").GetString());
        Assert.Null(await server.BalanceAsync(second));
        Assert.Equal(40, await server.BalanceAsync(first));
    }

    [Fact]
    public async Task Payment_with_no_credit_amount_needs_credits_on_assignment()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var sessionId = await ParkAsync(server, $"{StripeEvents.NewId("buyer")}@example.com", credits: null, amount: 777);
        var user = StripeEvents.NewId("u");

        using var refused = await server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = user }, Cancel);
        using var granted = await server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = user, credits = 70 }, Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(70, await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData("{\"user_id\": \"\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"user_id\": \"u 1\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"user_id\": \"u1\", \"credits\": -5}", HttpStatusCode.BadRequest)]
    [InlineData("{\"user_id\": \"u1\", \"credits\": \"ten\"}", HttpStatusCode.BadRequest)]
    [InlineData("not json", HttpStatusCode.BadRequest)]
    public async Task Bad_assignment_is_a_clear_4xx_and_changes_nothing(string body, HttpStatusCode expected)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var sessionId = await ParkAsync(server, $"{StripeEvents.NewId("buyer")}@example.com");

        using var response = await server.Client.PostAsync($"/api/payments/{sessionId}/assign",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancel);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unmatched", await server.ScalarAsync<string>("SELECT status FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
    }

    [Fact]
    public async Task Unknown_session_is_404()
    {
        await using var server = await CreditsServer.StartAsync(db);

        using var response = await server.Client.PostAsJsonAsync("/api/payments/cs_nope/assign", new { user_id = "u1" }, Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Registering_an_account_with_that_email_claims_the_payment()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var email = $"{StripeEvents.NewId("buyer")}@example.com";
        var sessionId = await ParkAsync(server, email);
        var user = StripeEvents.NewId("u");

        using var response = await server.PutUserAsync(user, email.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(40, (await JsonAsync(response)).GetProperty("balance").GetInt64());
        Assert.Equal(40, await server.BalanceAsync(user));
        Assert.Equal(user, await server.ScalarAsync<string>("SELECT account_id FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Refund_of_a_parked_payment_is_applied_when_it_is_assigned()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var session = StripeEvents.CheckoutSession(credits: 40, email: $"{StripeEvents.NewId("buyer")}@example.com");
        var sessionId = session["id"]!.GetValue<string>();
        await server.DeliverAsync(StripeEvents.Completed(session));
        var refund = await server.DeliverAsync(StripeEvents.Refunded(session["payment_intent"]!.GetValue<string>(), 500, 250));
        var user = StripeEvents.NewId("u");

        using var response = await server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = user }, Cancel);

        Assert.Equal("pending", refund.GetProperty("status").GetString());
        Assert.Equal(20, (await JsonAsync(response)).GetProperty("credits_added").GetInt64());
        Assert.Equal(20, await server.BalanceAsync(user));
    }
}
