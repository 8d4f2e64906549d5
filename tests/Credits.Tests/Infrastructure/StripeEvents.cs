using System.Text.Json;
using System.Text.Json.Nodes;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// Events in Stripe's real JSON shape (every field a real delivery carries), with an api_version
/// older than Stripe.net's pinned one, as endpoints usually are.
/// </summary>
public static class StripeEvents
{
    public const string ApiVersion = "2024-06-20";

    public static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}";

    public static JsonObject CheckoutSession(
        string? sessionId = null, string? userId = null, long? credits = null, long amountTotal = 500, string currency = "usd",
        string paymentStatus = "paid", string? clientReferenceId = null, string? customer = null, string? email = null, string mode = "payment")
    {
        var metadata = new JsonObject();
        if (userId is not null)
        {
            metadata["user_id"] = userId;
        }
        if (credits is not null)
        {
            metadata["credits"] = credits.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var paid = paymentStatus != "unpaid";
        return new JsonObject
        {
            ["id"] = sessionId ?? NewId("cs_test"),
            ["object"] = "checkout.session",
            ["after_expiration"] = null,
            ["allow_promotion_codes"] = null,
            ["amount_subtotal"] = amountTotal,
            ["amount_total"] = amountTotal,
            ["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["status"] = null },
            ["billing_address_collection"] = null,
            ["cancel_url"] = "https://example.com/cancel",
            ["client_reference_id"] = clientReferenceId,
            ["consent"] = null,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60,
            ["currency"] = currency,
            ["customer"] = customer,
            ["customer_creation"] = "if_required",
            ["customer_details"] = new JsonObject
            {
                ["address"] = new JsonObject { ["city"] = null, ["country"] = "US", ["line1"] = null, ["line2"] = null, ["postal_code"] = "94103", ["state"] = null },
                ["email"] = email,
                ["name"] = "Test Buyer",
                ["phone"] = null,
                ["tax_exempt"] = "none",
                ["tax_ids"] = new JsonArray(),
            },
            ["customer_email"] = null,
            ["expires_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 86_000,
            ["invoice"] = null,
            ["livemode"] = false,
            ["locale"] = null,
            ["metadata"] = metadata,
            ["mode"] = mode,
            ["payment_intent"] = NewId("pi"),
            ["payment_link"] = null,
            ["payment_method_collection"] = "if_required",
            ["payment_method_types"] = new JsonArray("card"),
            ["payment_status"] = paymentStatus,
            ["shipping_address_collection"] = null,
            ["shipping_details"] = null,
            ["status"] = paid ? "complete" : "complete",
            ["submit_type"] = null,
            ["subscription"] = null,
            ["success_url"] = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
            ["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 },
            ["ui_mode"] = "hosted",
            ["url"] = null,
        };
    }

    public static string Event(string type, JsonObject dataObject, string? eventId = null, bool livemode = false, JsonObject? previousAttributes = null)
    {
        var data = new JsonObject { ["object"] = dataObject.Parent is null ? dataObject : dataObject.DeepClone() };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }
        return new JsonObject
        {
            ["id"] = eventId ?? NewId("evt"),
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["data"] = data,
            ["livemode"] = livemode,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
        }.ToJsonString();
    }

    public static string Completed(JsonObject session, string? eventId = null) =>
        Event("checkout.session.completed", session, eventId);

    /// <summary>A paid checkout for a user with metadata, the way our own Checkout creation makes it.</summary>
    public static string Paid(string userId, long credits, string? sessionId = null, string? eventId = null) =>
        Completed(CheckoutSession(sessionId, userId, credits), eventId);

    /// <summary>A Charge as charge.refunded carries it: amount_refunded is cumulative.</summary>
    public static string Refunded(string paymentIntent, long amount, long amountRefunded, long previouslyRefunded = 0, string? chargeId = null, string? eventId = null) =>
        Event("charge.refunded", new JsonObject
        {
            ["id"] = chargeId ?? "ch_" + paymentIntent[3..],
            ["object"] = "charge",
            ["amount"] = amount,
            ["amount_captured"] = amount,
            ["amount_refunded"] = amountRefunded,
            ["balance_transaction"] = NewId("txn"),
            ["captured"] = true,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600,
            ["currency"] = "usd",
            ["customer"] = null,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["paid"] = true,
            ["payment_intent"] = paymentIntent,
            ["payment_method"] = NewId("pm"),
            ["refunded"] = amountRefunded >= amount,
            ["status"] = "succeeded",
        }, eventId, previousAttributes: new JsonObject { ["amount_refunded"] = previouslyRefunded, ["refunded"] = false });

    public static string Dispute(string type, string paymentIntent, long amount, string status, string disputeId, string? eventId = null) =>
        Event(type, new JsonObject
        {
            ["id"] = disputeId,
            ["object"] = "dispute",
            ["amount"] = amount,
            ["charge"] = "ch_" + paymentIntent[3..],
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60,
            ["currency"] = "usd",
            ["is_charge_refundable"] = false,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["payment_intent"] = paymentIntent,
            ["reason"] = "fraudulent",
            ["status"] = status,
        }, eventId);

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
