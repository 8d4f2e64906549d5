using System.Text.Json;
using Credits.Configuration;
using Credits.Stripe;
using Credits.Stripe.Api;

namespace Credits.Tests.Stripe;

/// <summary>
/// The account chain (R, M, C, E) and the credits chain of <see cref="PaymentResolver.Decide"/>,
/// as a pure rule over a hand-built session and looked-up facts: no database, no server.
/// </summary>
public sealed class PaymentResolverTests
{
    private static readonly PackOptions Packs = new()
    {
        Packs =
        [
            new Pack { Id = "starter", Credits = 10, UnitAmount = 500, Currency = "usd", PriceId = "price_starter" },
            new Pack { Id = "pro", Credits = 100, UnitAmount = 3500, Currency = "usd" },
            new Pack { Id = "pro_eur", Credits = 100, UnitAmount = 3500, Currency = "eur" },
            new Pack { Id = "pro_eur_promo", Credits = 120, UnitAmount = 3500, Currency = "eur" },
        ],
    };

    private static readonly CheckoutRecord Record = new() { SessionId = "cs_1", AccountId = "u_rec", PackId = "pro", Quantity = 1, Credits = 100 };

    private static CheckoutSession Session(string? userId = null, string? clientReference = null, string? credits = null, string? customer = null,
        string? email = null, long amount = 500, string currency = "usd")
    {
        var metadata = new Dictionary<string, string?> { ["user_id"] = userId, ["credits"] = credits }.Where(p => p.Value is not null).ToDictionary();
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = "cs_1", ["object"] = "checkout.session", ["mode"] = "payment", ["payment_status"] = "paid", ["amount_total"] = amount,
            ["currency"] = currency, ["client_reference_id"] = clientReference, ["customer"] = customer,
            ["customer_details"] = new Dictionary<string, object?> { ["email"] = email }, ["metadata"] = metadata,
        });
        using var document = JsonDocument.Parse(json);
        return CheckoutSession.From(document.RootElement) ?? throw new InvalidOperationException("not a session");
    }

    private static Resolution Decide(CheckoutSession session, CheckoutRecord? record = null, AccountFacts? facts = null, bool create = false) =>
        PaymentResolver.Decide(session, record, facts ?? AccountFacts.None, Packs, create);

    [Fact]
    public void R_the_checkout_record_decides_account_and_credits()
    {
        var resolution = Decide(Session(userId: "u_rec", credits: "5"), Record);

        Assert.Equal(("u_rec", false, 100L, (string?)null), (resolution.UserId, resolution.CreateAccount, resolution.Credits, resolution.ReasonCode));
    }

    [Fact]
    public void R_contradicted_by_metadata_parks_with_both_candidates()
    {
        var resolution = Decide(Session(userId: "u_other"), Record);

        Assert.Null(resolution.UserId);
        Assert.Equal(ParkReasons.ConflictingAccounts, resolution.ReasonCode);
        Assert.Equal(["u_rec", "u_other"], resolution.Candidates.Select(c => c.UserId));
    }

    [Fact]
    public void M_an_existing_named_account_is_credited_with_metadata_credits()
    {
        var resolution = Decide(Session(userId: "u_1", clientReference: "u_1", credits: "50"), facts: new AccountFacts(null, true, []));

        Assert.Equal(("u_1", false, 50L), (resolution.UserId, resolution.CreateAccount, resolution.Credits));
        Assert.True(resolution.IsComplete);
    }

    [Fact]
    public void M_metadata_and_client_reference_that_differ_park()
    {
        var resolution = Decide(Session(userId: "u_1", clientReference: "u_2", credits: "50"));

        Assert.Equal((null, ParkReasons.ConflictingAccounts), (resolution.UserId, resolution.ReasonCode));
        Assert.Equal(["u_1", "u_2"], resolution.Candidates.Select(c => c.UserId));
    }

    [Fact]
    public void M_an_invalid_id_parks_as_unknown_account() =>
        Assert.Equal(ParkReasons.UnknownAccount, Decide(Session(userId: "u 1;drop", credits: "50")).ReasonCode);

    [Theory]
    [InlineData(false, null, ParkReasons.UnknownAccount)]
    [InlineData(true, "u_new", null)]
    public void M_an_unknown_account_is_created_only_when_configured(bool create, string? userId, string? code)
    {
        var resolution = Decide(Session(userId: "u_new", credits: "50"), facts: AccountFacts.None, create: create);

        Assert.Equal((userId, create, code), (resolution.UserId, resolution.CreateAccount, resolution.ReasonCode));
    }

    [Fact]
    public void M_unknown_while_the_email_belongs_to_an_account_parks_even_when_creating()
    {
        var resolution = Decide(Session(userId: "u_new", credits: "50", email: "ada@example.com"), facts: new AccountFacts(null, false, ["u_ada"]), create: true);

        Assert.Equal((null, ParkReasons.ConflictingAccounts), (resolution.UserId, resolution.ReasonCode));
        Assert.Equal(["u_ada", "u_new"], resolution.Candidates.Select(c => c.UserId));
        Assert.DoesNotContain("ada@example.com", resolution.Problem);
    }

    [Fact]
    public void C_a_customer_linked_to_another_account_than_M_parks()
    {
        var resolution = Decide(Session(userId: "u_1", credits: "50", customer: "cus_1"), facts: new AccountFacts("u_2", false, []));

        Assert.Equal((null, ParkReasons.ConflictingAccounts), (resolution.UserId, resolution.ReasonCode));
        Assert.Equal(["u_2", "u_1"], resolution.Candidates.Select(c => c.UserId));
    }

    [Fact]
    public void C_without_M_the_linked_account_is_credited() =>
        Assert.Equal("u_2", Decide(Session(credits: "50", customer: "cus_1", email: "x@example.com"), facts: new AccountFacts("u_2", false, ["u_x"])).UserId);

    [Theory]
    [InlineData(new string[0], ParkReasons.NoAccount, null)]
    [InlineData(new[] { "u_ada" }, null, "u_ada")]
    [InlineData(new[] { "u_a", "u_b" }, ParkReasons.NoAccount, null)]
    public void E_exactly_one_account_with_the_email_is_credited(string[] owners, string? code, string? userId)
    {
        var resolution = Decide(Session(credits: "50", email: "Ada@Example.com"), facts: new AccountFacts(null, false, owners));

        Assert.Equal((userId, code), (resolution.UserId, resolution.ReasonCode));
        Assert.Equal(owners.Length > 1 ? owners : [], resolution.Candidates.Select(c => c.UserId));
    }

    [Fact]
    public void No_signal_at_all_parks_as_no_account() =>
        Assert.Equal(ParkReasons.NoAccount, Decide(Session(credits: "50")).ReasonCode);

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("ten")]
    [InlineData("1000000000000")]
    public void Credits_metadata_that_is_not_a_whole_number_in_range_parks(string credits)
    {
        var resolution = Decide(Session(userId: "u_1", credits: credits), facts: new AccountFacts(null, true, []));

        Assert.Equal(("u_1", (long?)null, ParkReasons.NoCreditAmount), (resolution.UserId, resolution.Credits, resolution.ReasonCode));
        Assert.Equal(["u_1"], resolution.Candidates.Select(c => c.UserId));
    }

    [Fact]
    public void Credits_metadata_comes_before_line_items_and_amount() =>
        Assert.Equal(7L, Decide(Session(userId: "u_1", credits: "7", amount: 3500) with { LineItems = [new LineItemPrice("price_starter", 3)] },
            facts: new AccountFacts(null, true, [])).Credits);

    [Fact]
    public void Line_items_count_configured_price_ids_and_price_metadata_times_quantity() =>
        Assert.Equal(10L * 3 + 25 * 2, Decide(Session(userId: "u_1", amount: 1) with
        {
            LineItems = [new LineItemPrice("price_starter", 3), new LineItemPrice("price_other", 2, Credits: 25)],
        }, facts: new AccountFacts(null, true, [])).Credits);

    [Fact]
    public void A_line_item_worth_nothing_leaves_the_amount_to_decide() =>
        Assert.Equal(100L, Decide(Session(userId: "u_1", amount: 3500) with
        {
            LineItems = [new LineItemPrice("price_starter", 1), new LineItemPrice("price_unknown", 1)],
        }, facts: new AccountFacts(null, true, [])).Credits);

    [Theory]
    [InlineData(500, "usd", 10L, null)]
    [InlineData(3500, "usd", 100L, null)]
    [InlineData(999, "usd", null, ParkReasons.NoCreditAmount)]
    [InlineData(3500, "eur", null, ParkReasons.AmbiguousPack)]
    public void Without_metadata_or_line_items_the_one_pack_of_that_price_decides(long amount, string currency, long? credits, string? code)
    {
        var resolution = Decide(Session(userId: "u_1", amount: amount, currency: currency), facts: new AccountFacts(null, true, []));

        Assert.Equal((credits, code), (resolution.Credits, resolution.ReasonCode));
    }
}
