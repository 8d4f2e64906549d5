using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteWhoseCreditsTests(SqliteFixture db) : WhoseCreditsTests<SqliteFixture>(db);

public sealed class PostgresWhoseCreditsTests(PostgresFixture db) : WhoseCreditsTests<PostgresFixture>(db);

/// <summary>
/// Never the wrong account: the account signals (our checkout record, the metadata, the Stripe
/// customer link, the payer's email) decide together, and when they disagree nobody is credited
/// until an operator assigns the payment. Each scenario ends with `credits verify` passing.
/// </summary>
public abstract class WhoseCreditsTests<TFixture>(TFixture db) : IClassFixture<TFixture>, IAsyncLifetime where TFixture : DatabaseFixture
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

    private Task<CreditsServer> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        CreditsServer.StartAsync(db, s =>
        {
            _stripe.Configure(s);
            configure?.Invoke(s);
        });

    private async Task AssertVerifiedAsync()
    {
        var (exitCode, report) = await CliRunner.RunAsync(db, null, "verify");
        Assert.True(exitCode == 0, report);
    }

    private static async Task<JsonElement> ParkedAsync(CreditsServer server, string sessionId)
    {
        var list = await server.Client.GetFromJsonAsync<JsonElement>("/api/payments/unmatched?limit=200", Cancel);
        return Assert.Single(list.GetProperty("payments").EnumerateArray(), p => p.GetProperty("checkout_session_id").GetString() == sessionId);
    }

    private static async Task<long> LedgerRowsOfAsync(CreditsServer server, string sessionId) =>
        await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE source_id = @sessionId", new { sessionId });

    private static async Task<string> CreateCheckoutAsync(CreditsServer server, string user, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["user_id"] = user, ["pack_id"] = "starter",
            ["success_url"] = "https://app.example.com/paid", ["cancel_url"] = "https://app.example.com/pricing",
        };
        foreach (var property in JsonSerializer.SerializeToElement(extra ?? new { }).EnumerateObject())
        {
            body[property.Name] = property.Value;
        }
        var answer = await server.ExpectAsync(HttpStatusCode.OK, server.Client.PostAsJsonAsync("/api/checkout/sessions", body, Cancel));
        return answer.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_stale_id_with_the_email_of_a_known_account_parks_naming_her_and_one_assign_grants_her_50()
    {
        await using var server = await StartAsync();
        var (ada, stale) = (User(), User());
        var email = $"ada-{ada}@example.com";
        (await server.PutUserAsync(ada, email)).EnsureSuccessStatusCode();
        var session = StripeEvents.CheckoutSession(userId: stale, credits: 50, email: email);
        var sessionId = (string)session["id"]!;

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Contains("conflicting_accounts", body.GetProperty("detail").GetString());
        Assert.Contains(ada, body.GetProperty("detail").GetString());
        Assert.Equal(0, await server.BalanceAsync(ada));
        Assert.Null(await server.BalanceAsync(stale));
        Assert.Equal(0, await LedgerRowsOfAsync(server, sessionId));
        var parked = await ParkedAsync(server, sessionId);
        Assert.Equal("conflicting_accounts", parked.GetProperty("reason_code").GetString());
        var candidates = parked.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(ada, candidates[0].GetProperty("user_id").GetString());
        Assert.Contains("email", candidates[0].GetProperty("why").GetString());
        Assert.Contains(candidates, c => c.GetProperty("user_id").GetString() == stale);
        // Registering the email again does not claim it: the signals disagreed, so an operator decides.
        (await server.PutUserAsync(ada, email)).EnsureSuccessStatusCode();
        Assert.Equal(0, await server.BalanceAsync(ada));

        var assigned = await server.ExpectAsync(HttpStatusCode.OK,
            server.Client.PostAsJsonAsync($"/api/payments/{sessionId}/assign", new { user_id = ada }, Cancel));

        Assert.Equal(50, assigned.GetProperty("credits_added").GetInt64());
        Assert.Equal(50, await server.BalanceAsync(ada));
        Assert.Null(await server.BalanceAsync(stale));
        Assert.Equal(1, await LedgerRowsOfAsync(server, sessionId));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_customer_linked_to_one_account_paying_in_a_session_naming_another_is_parked()
    {
        await using var server = await StartAsync();
        var (a, b) = (User(), User());
        var customer = StripeEvents.NewId("cus");
        (await server.PutUserAsync(b, null)).EnsureSuccessStatusCode();
        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: a, credits: 10, customer: customer)));
        var session = StripeEvents.CheckoutSession(userId: b, credits: 20, customer: customer);

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Equal(10, await server.BalanceAsync(a));
        Assert.Equal(0, await server.BalanceAsync(b));
        var parked = await ParkedAsync(server, (string)session["id"]!);
        Assert.Equal("conflicting_accounts", parked.GetProperty("reason_code").GetString());
        Assert.Equal([a, b], parked.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("user_id").GetString()));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_session_we_created_whose_metadata_was_changed_is_parked_and_credits_nobody()
    {
        await using var server = await StartAsync();
        var (owner, other) = (User(), User());
        (await server.PutUserAsync(owner, null)).EnsureSuccessStatusCode();
        (await server.PutUserAsync(other, null)).EnsureSuccessStatusCode();
        var sessionId = await CreateCheckoutAsync(server, owner);
        var session = _stripe.Pay(sessionId);
        session["metadata"]!["user_id"] = other;

        var body = await server.DeliverAsync(StripeEvents.Completed((JsonObject)session.DeepClone()));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Equal(0, await server.BalanceAsync(owner));
        Assert.Equal(0, await server.BalanceAsync(other));
        var parked = await ParkedAsync(server, sessionId);
        Assert.Equal("conflicting_accounts", parked.GetProperty("reason_code").GetString());
        Assert.Equal(owner, parked.GetProperty("candidates")[0].GetProperty("user_id").GetString());
        Assert.Equal(50, parked.GetProperty("credits").GetInt64());
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_session_we_created_grants_its_recorded_account_and_credits_even_without_metadata()
    {
        await using var server = await StartAsync();
        var owner = User();
        (await server.PutUserAsync(owner, null)).EnsureSuccessStatusCode();
        var sessionId = await CreateCheckoutAsync(server, owner, new { quantity = 3 });
        var session = (JsonObject)_stripe.Pay(sessionId).DeepClone();
        session["metadata"] = new JsonObject();
        session["client_reference_id"] = null;
        session["amount_total"] = 1;

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(150, await server.BalanceAsync(owner));
        Assert.Equal(3, await server.ScalarAsync<long>("SELECT quantity FROM checkout_sessions WHERE session_id = @sessionId", new { sessionId }));
        Assert.Empty(_stripe.RequestsTo("GET", $"/v1/checkout/sessions/{sessionId}/line_items"));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_full_discount_still_grants_the_credits_of_the_pack_bought()
    {
        await using var server = await StartAsync();
        var owner = User();
        (await server.PutUserAsync(owner, null)).EnsureSuccessStatusCode();
        var sessionId = await CreateCheckoutAsync(server, owner);
        var session = (JsonObject)_stripe.Pay(sessionId, "no_payment_required").DeepClone();
        session["amount_total"] = 0;
        session["total_details"]!["amount_discount"] = 500;

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(owner));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Park_mode_parks_an_id_nobody_has_seen()
    {
        await using var server = await StartAsync(s => s["CREDITS_UNKNOWN_ACCOUNTS"] = "park");
        var stranger = User();
        var session = StripeEvents.CheckoutSession(userId: stranger, credits: 30);

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Null(await server.BalanceAsync(stranger));
        var parked = await ParkedAsync(server, (string)session["id"]!);
        Assert.Equal("unknown_account", parked.GetProperty("reason_code").GetString());
        Assert.Equal(stranger, parked.GetProperty("candidates")[0].GetProperty("user_id").GetString());

        // A known account is granted as usual in park mode.
        var known = User();
        (await server.PutUserAsync(known, null)).EnsureSuccessStatusCode();
        Assert.Equal("granted", (await server.DeliverAsync(StripeEvents.Paid(known, 30))).GetProperty("status").GetString());
        Assert.Equal(30, await server.BalanceAsync(known));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Create_mode_creates_an_unknown_id_when_nothing_disagrees()
    {
        await using var server = await StartAsync(s => s["CREDITS_UNKNOWN_ACCOUNTS"] = "create");
        var stranger = User();

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: stranger, credits: 30, email: $"{stranger}@example.com")));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(30, await server.BalanceAsync(stranger));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Price_metadata_credits_times_quantity_add_up_over_two_line_items()
    {
        await using var server = await StartAsync();
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, amountTotal: 4321);
        var sessionId = (string)session["id"]!;
        _stripe.Sessions[sessionId] = session;
        _stripe.LineItems[sessionId] = [new FakeLineItem("price_dash_small", 3, UnitAmount: 500, Credits: 40), new FakeLineItem("price_dash_big", 1, UnitAmount: 3000, Credits: 500, AmountDiscount: 300)];

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(620, await server.BalanceAsync(user));
        var fetched = Assert.Single(_stripe.RequestsTo("GET", $"/v1/checkout/sessions/{sessionId}/line_items"));
        Assert.Contains(fetched.Query, q => q.Key.StartsWith("expand[", StringComparison.Ordinal) && q.Value.Contains("data.price"));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task A_Payment_Link_session_with_only_client_reference_id_grants_by_its_price()
    {
        await using var server = await StartAsync();
        var user = User();
        var session = StripeEvents.CheckoutSession(clientReferenceId: user, amountTotal: 999);
        session["payment_link"] = StripeEvents.NewId("plink");
        var sessionId = (string)session["id"]!;
        _stripe.Sessions[sessionId] = session;
        _stripe.LineItems[sessionId] = [new FakeLineItem("price_link", 1, UnitAmount: 999, Credits: 120)];

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("granted", body.GetProperty("status").GetString());
        Assert.Equal(120, await server.BalanceAsync(user));
        await AssertVerifiedAsync();
    }

    [Fact]
    public async Task Several_packs_of_the_same_amount_park_as_ambiguous()
    {
        await using var server = await StartAsync(s =>
        {
            s["Packs:3:Id"] = "starter-plus";
            s["Packs:3:Credits"] = "60";
            s["Packs:3:UnitAmount"] = "500";
            s["Packs:3:Currency"] = "usd";
        });
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, amountTotal: 500);

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        var parked = await ParkedAsync(server, (string)session["id"]!);
        Assert.Equal("ambiguous_pack", parked.GetProperty("reason_code").GetString());
        Assert.Equal(user, parked.GetProperty("candidates")[0].GetProperty("user_id").GetString());
        Assert.Null(await server.BalanceAsync(user));
    }
}
