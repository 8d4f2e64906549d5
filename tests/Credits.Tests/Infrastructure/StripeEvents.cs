using System.Text.Json;
using System.Text.Json.Nodes;
using Credits.Stripe;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// The tests' short names for events in Stripe's real JSON shape. The shape itself is built by
/// the product's <see cref="TestEvents"/> (the one builder, also behind send-test-event).
/// </summary>
public static class StripeEvents
{
    public const string ApiVersion = TestEvents.ApiVersion;

    public static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}";

    public static JsonObject CheckoutSession(
        string? sessionId = null, string? userId = null, long? credits = null, long amountTotal = 500, string currency = "usd",
        string paymentStatus = "paid", string? clientReferenceId = null, string? customer = null, string? email = null, string mode = "payment")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return TestEvents.CheckoutSession(new SessionFields
        {
            Id = sessionId ?? NewId("cs_test"), UserId = userId, Credits = credits, Amount = amountTotal, Currency = currency,
            PaymentStatus = paymentStatus, ClientReferenceId = clientReferenceId, Customer = customer, Email = email, Mode = mode,
            PaymentIntent = NewId("pi"), Created = now - 60, ExpiresAt = now + 86_000,
        });
    }

    public static string Event(string type, JsonObject dataObject, string? eventId = null, bool livemode = false, JsonObject? previousAttributes = null) =>
        TestEvents.Envelope(type, dataObject.Parent is null ? dataObject : (JsonObject)dataObject.DeepClone(), eventId ?? NewId("evt"),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(), livemode, previousAttributes);

    public static string Completed(JsonObject session, string? eventId = null) =>
        Event("checkout.session.completed", session, eventId);

    /// <summary>A paid checkout for a user with metadata, the way our own Checkout creation makes it.</summary>
    public static string Paid(string userId, long credits, string? sessionId = null, string? eventId = null) =>
        Completed(CheckoutSession(sessionId, userId, credits), eventId);

    /// <summary>A Charge as charge.refunded carries it: amount_refunded is cumulative.</summary>
    public static string Refunded(string paymentIntent, long amount, long amountRefunded, long previouslyRefunded = 0, string? chargeId = null, string? eventId = null) =>
        Event("charge.refunded", TestEvents.Charge(new ChargeFields
        {
            Id = chargeId ?? "ch_" + paymentIntent[3..], PaymentIntent = paymentIntent, Amount = amount, AmountRefunded = amountRefunded,
            Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600,
        }), eventId, previousAttributes: new JsonObject { ["amount_refunded"] = previouslyRefunded, ["refunded"] = false });

    public static string Dispute(string type, string paymentIntent, long amount, string status, string disputeId, string? eventId = null) =>
        Event(type, TestEvents.Dispute(new DisputeFields
        {
            Id = disputeId, PaymentIntent = paymentIntent, Charge = "ch_" + paymentIntent[3..], Amount = amount, Status = status,
            Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60,
        }), eventId);

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
