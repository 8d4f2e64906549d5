using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteResolutionTests(SqliteFixture db) : ResolutionTests<SqliteFixture>(db);

public sealed class PostgresResolutionTests(PostgresFixture db) : ResolutionTests<PostgresFixture>(db);

/// <summary>Each step of the user chain and the credits chain (docs/events.md, "Who the credits go to" and "How many credits"), through the webhook.</summary>
public abstract class ResolutionTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string User() => StripeEvents.NewId("u");

    [Fact]
    public async Task Metadata_user_id_creates_the_account_it_names()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();

        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 10, clientReferenceId: user)));

        Assert.Equal(10, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Metadata_user_id_and_client_reference_id_that_disagree_park_the_payment()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (metadataUser, referenceUser) = (User(), User());

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: metadataUser, credits: 10, clientReferenceId: referenceUser)));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Contains("conflicting_accounts", body.GetProperty("detail").GetString());
        Assert.Null(await server.BalanceAsync(metadataUser));
        Assert.Null(await server.BalanceAsync(referenceUser));
    }

    [Fact]
    public async Task Client_reference_id_is_used_without_metadata()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var session = StripeEvents.CheckoutSession(credits: 10, clientReferenceId: user);

        await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal(10, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Customer_linked_by_an_earlier_purchase_finds_the_user()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var customer = StripeEvents.NewId("cus");
        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 10, customer: customer)));

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(credits: 5, customer: customer)));

        Assert.Equal(user, body.GetProperty("user_id").GetString());
        Assert.Equal(15, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Email_of_a_known_account_finds_the_user_whatever_its_case()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var email = $"{user}@example.com";
        (await server.PutUserAsync(user, email)).EnsureSuccessStatusCode();

        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(credits: 8, email: email.ToUpperInvariant())));

        Assert.Equal(8, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Payment_with_no_way_to_find_the_user_is_parked_as_unmatched()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var session = StripeEvents.CheckoutSession(credits: 8, email: $"{User()}@nobody.example");
        var sessionId = session["id"]!.GetValue<string>();

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("credits_added").GetInt64());
        Assert.Equal("unmatched", await server.ScalarAsync<string>("SELECT status FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
        Assert.Contains("no account has the email", await server.ScalarAsync<string>("SELECT reason FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE source_id = @sessionId", new { sessionId }));
    }

    [Fact]
    public async Task Metadata_user_id_that_is_not_an_id_parks_the_payment()
    {
        await using var server = await CreditsServer.StartAsync(db);

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: "robert'); DROP TABLE accounts;--", credits: 8)));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Contains("metadata.user_id", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Metadata_credits_comes_before_the_pack_price()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();

        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 75, amountTotal: 500)));

        Assert.Equal(75, await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData(500, 50)]
    [InlineData(1500, 200)]
    [InlineData(5000, 1000)]
    public async Task Without_metadata_credits_the_pack_of_that_amount_and_currency_decides(long amount, long credits)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();

        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, amountTotal: amount)));

        Assert.Equal(credits, await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData(777, "usd")]
    [InlineData(500, "eur")]
    public async Task Amount_that_matches_no_pack_parks_the_payment(long amount, string currency)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();

        var body = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, amountTotal: amount, currency: currency)));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Contains("no pack costs", body.GetProperty("detail").GetString());
        Assert.Null(await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    [InlineData("")]
    public async Task Metadata_credits_that_is_not_a_sane_whole_number_parks_the_payment(string credits)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user);
        session["metadata"]!["credits"] = credits;

        var body = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        Assert.Contains("metadata.credits", body.GetProperty("detail").GetString());
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @user", new { user }));
    }
}
