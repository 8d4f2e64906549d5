using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteCheckoutRecordTests(SqliteFixture db) : CheckoutRecordTests<SqliteFixture>(db);

public sealed class PostgresCheckoutRecordTests(PostgresFixture db) : CheckoutRecordTests<PostgresFixture>(db);

/// <summary>
/// <c>POST /api/checkout/sessions</c> only sells to a known account (or one its email creates), for
/// 1 to 100 packs, and records the session before it answers.
/// </summary>
public abstract class CheckoutRecordTests<TFixture>(TFixture db) : IClassFixture<TFixture>, IAsyncLifetime where TFixture : DatabaseFixture
{
    private FakeStripe _stripe = null!;

    public async ValueTask InitializeAsync() => _stripe = await FakeStripe.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _stripe.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string User() => StripeEvents.NewId("u");

    private Task<CreditsServer> StartAsync() => CreditsServer.StartAsync(db, _stripe.Configure);

    private static async Task<string> CreateCheckoutAsync(CreditsServer server, string user, object extra)
    {
        var body = new Dictionary<string, object?>
        {
            ["user_id"] = user, ["pack_id"] = "starter",
            ["success_url"] = "https://app.example.com/paid", ["cancel_url"] = "https://app.example.com/pricing",
        };
        foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
        {
            body[property.Name] = property.Value;
        }
        var answer = await server.ExpectAsync(HttpStatusCode.OK, server.Client.PostAsJsonAsync("/api/checkout/sessions", body, Cancel));
        return answer.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Checkout_for_an_unknown_account_is_404_unless_an_email_creates_it()
    {
        await using var server = await StartAsync();
        var user = User();
        var request = new { user_id = user, pack_id = "starter", success_url = "https://app.example.com/paid", cancel_url = "https://app.example.com/pricing" };

        var missing = await server.ExpectAsync(HttpStatusCode.NotFound, server.Client.PostAsJsonAsync("/api/checkout/sessions", request, Cancel));

        Assert.Contains("email", missing.GetProperty("detail").GetString());
        Assert.Empty(_stripe.RequestsTo("POST", "/v1/checkout/sessions"));
        Assert.Null(await server.BalanceAsync(user));

        // A payment parked earlier with that email is claimed by the account the checkout creates.
        var parked = StripeEvents.CheckoutSession(credits: 7, email: $"{user}@example.com");
        Assert.Equal("unmatched", (await server.DeliverAsync(StripeEvents.Completed(parked))).GetProperty("status").GetString());

        var sessionId = await CreateCheckoutAsync(server, user, new { email = $"{user}@example.com", quantity = 2 });

        Assert.Equal(7, await server.BalanceAsync(user));
        var sent = Assert.Single(_stripe.RequestsTo("POST", "/v1/checkout/sessions"));
        Assert.Equal("2", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("100", sent.Form["metadata[credits]"]);
        Assert.Equal(100, await server.ScalarAsync<long>("SELECT credits FROM checkout_sessions WHERE session_id = @sessionId", new { sessionId }));
        Assert.Equal(user, await server.ScalarAsync<string>("SELECT account_id FROM checkout_sessions WHERE session_id = @sessionId", new { sessionId }));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("1.5")]
    [InlineData("\"3\"")]
    public async Task A_quantity_outside_1_to_100_is_refused_and_changes_nothing(string quantity)
    {
        await using var server = await StartAsync();
        var user = User();
        (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        var json = $$"""{"user_id":"{{user}}","pack_id":"starter","quantity":{{quantity}},"success_url":"https://a.example/ok","cancel_url":"https://a.example/no"}""";

        var problem = await server.ExpectAsync(HttpStatusCode.BadRequest, server.PostJsonAsync("/api/checkout/sessions", json, null));

        Assert.Contains("quantity", problem.GetProperty("detail").GetString());
        Assert.Empty(_stripe.RequestsTo("POST", "/v1/checkout/sessions"));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM checkout_sessions WHERE account_id = @user", new { user }));
    }
}
