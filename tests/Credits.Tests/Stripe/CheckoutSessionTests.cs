using System.Text.Json;
using Credits.Stripe;

namespace Credits.Tests.Stripe;

/// <summary>What <see cref="CheckoutSession.From"/> reads from a session object, without a server.</summary>
public sealed class CheckoutSessionTests
{
    private static CheckoutSession? Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        return CheckoutSession.From(document.RootElement);
    }

    [Fact]
    public void Reads_every_field_that_decides_a_grant()
    {
        var session = Read("""
            {"id":"cs_1","object":"checkout.session","mode":"payment","payment_status":"paid","amount_total":500,"currency":"USD",
             "customer":{"id":"cus_1","object":"customer"},"customer_details":{"email":"ada@example.com"},"customer_email":"other@example.com",
             "client_reference_id":"u_ref","payment_intent":"pi_1","metadata":{"user_id":"u_1","credits":"50","n":7}}
            """);

        Assert.NotNull(session);
        Assert.Equal(("cs_1", "payment", "paid", 500L, "usd"), (session.Id, session.Mode, session.PaymentStatus, session.AmountTotal, session.Currency));
        Assert.Equal(("cus_1", "ada@example.com", "u_ref", "pi_1"), (session.Customer, session.Email, session.ClientReferenceId, session.PaymentIntent));
        // Only string metadata values count: Stripe never sends others, so a number is not trusted.
        Assert.Equal(new Dictionary<string, string> { ["user_id"] = "u_1", ["credits"] = "50" }, session.Metadata);
    }

    [Fact]
    public void Falls_back_to_customer_email_without_customer_details() =>
        Assert.Equal("b@example.com", Read("""{"id":"cs_1","object":"checkout.session","customer_email":"b@example.com"}""")?.Email);

    [Theory]
    [InlineData("""{"id":"ch_1","object":"charge"}""")]
    [InlineData("""{"object":"checkout.session"}""")]
    [InlineData("""{"id":"","object":"checkout.session"}""")]
    [InlineData("""{"id":7,"object":"checkout.session"}""")]
    public void Is_no_session_without_an_id_or_of_another_object(string json) => Assert.Null(Read(json));

    [Fact]
    public void Reads_fields_of_the_wrong_type_as_absent()
    {
        var session = Read("""{"id":"cs_1","amount_total":"500","currency":5,"metadata":"x","payment_intent":null}""");

        Assert.NotNull(session);
        Assert.Equal((null, null, null), (session.AmountTotal, session.Currency, session.PaymentIntent));
        Assert.Empty(session.Metadata);
    }
}
