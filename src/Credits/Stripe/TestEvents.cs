using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Credits.Stripe;

/// <summary>
/// Builds realistic, fully shaped Stripe events (every field a real delivery carries) and signs
/// them the way Stripe does, for <c>send-test-event</c> and <c>simulate</c>.
/// </summary>
public static class TestEvents
{
    public const string ApiVersion = "2024-06-20";

    /// <summary>The kinds <c>--kind</c> accepts, with the Stripe event type each one sends.</summary>
    public static IReadOnlyDictionary<string, string> Kinds { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["completed"] = "checkout.session.completed",
        ["completed-unpaid"] = "checkout.session.completed",
        ["async-succeeded"] = "checkout.session.async_payment_succeeded",
        ["async-failed"] = "checkout.session.async_payment_failed",
        ["expired"] = "checkout.session.expired",
        ["refund"] = "charge.refunded",
        ["dispute"] = "charge.dispute.created",
    };

    public static string NewId(string prefix) => $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    public static TestEvent Build(TestEventRequest request, DateTimeOffset now)
    {
        if (!Kinds.TryGetValue(request.Kind, out var type))
        {
            throw new ArgumentException($"Unknown test event kind '{request.Kind}'; use one of {string.Join(", ", Kinds.Keys)}.", nameof(request));
        }
        var paymentIntent = request.PaymentIntent ?? NewId("pi_test");
        var eventId = request.EventId ?? NewId("evt_test");
        var created = now.ToUnixTimeSeconds();
        switch (request.Kind)
        {
            case "refund":
                var charge = Charge(request, paymentIntent, created);
                var previous = new JsonObject { ["amount_refunded"] = 0, ["refunded"] = false };
                return new TestEvent(Envelope(eventId, type, charge, created, previous), eventId, type, (string)charge["id"]!, null, paymentIntent);
            case "dispute":
                var dispute = Dispute(request, paymentIntent, created);
                return new TestEvent(Envelope(eventId, type, dispute, created, null), eventId, type, (string)dispute["id"]!, null, paymentIntent);
            default:
                var session = Session(request, paymentIntent, created);
                var sessionId = (string)session["id"]!;
                return new TestEvent(Envelope(eventId, type, session, created, null), eventId, type, sessionId, sessionId, paymentIntent);
        }
    }

    /// <summary>A <c>Stripe-Signature</c> header: t= and one v1 HMAC-SHA256 of "{t}.{body}" keyed by the whole whsec_ string.</summary>
    public static string SignatureHeader(string json, string secret, DateTimeOffset signedAt)
    {
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = global::Stripe.EventUtility.ComputeSignature(secret, timestamp, json);
        return $"t={timestamp},v1={signature}";
    }

    private static string Envelope(string eventId, string type, JsonObject dataObject, long created, JsonObject? previousAttributes)
    {
        var data = new JsonObject { ["object"] = dataObject };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }
        return new JsonObject
        {
            ["id"] = eventId,
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = created,
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = NewId("req"), ["idempotency_key"] = Guid.NewGuid().ToString() },
            ["type"] = type,
        }.ToJsonString();
    }

    private static JsonObject Session(TestEventRequest request, string paymentIntent, long created)
    {
        var metadata = new JsonObject();
        if (request.UserId is not null)
        {
            metadata["user_id"] = request.UserId;
        }
        if (request.Credits is { } credits)
        {
            metadata["credits"] = credits.ToString(CultureInfo.InvariantCulture);
        }
        var (status, paymentStatus) = request.Kind switch
        {
            "completed" or "async-succeeded" => ("complete", "paid"),
            "completed-unpaid" or "async-failed" => ("complete", "unpaid"),
            _ => ("expired", "unpaid"),
        };
        return new JsonObject
        {
            ["id"] = request.SessionId ?? NewId("cs_test"),
            ["object"] = "checkout.session",
            ["after_expiration"] = null,
            ["allow_promotion_codes"] = null,
            ["amount_subtotal"] = request.Amount,
            ["amount_total"] = request.Amount,
            ["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["status"] = null },
            ["billing_address_collection"] = null,
            ["cancel_url"] = "https://example.com/cancel",
            ["client_reference_id"] = request.UserId,
            ["consent"] = null,
            ["created"] = created - 60,
            ["currency"] = request.Currency,
            ["customer"] = null,
            ["customer_creation"] = "if_required",
            ["customer_details"] = new JsonObject
            {
                ["address"] = new JsonObject { ["city"] = null, ["country"] = "US", ["line1"] = null, ["line2"] = null, ["postal_code"] = "94103", ["state"] = null },
                ["email"] = request.Email,
                ["name"] = "Test Buyer",
                ["phone"] = null,
                ["tax_exempt"] = "none",
                ["tax_ids"] = new JsonArray(),
            },
            ["customer_email"] = request.Email,
            ["expires_at"] = created + 86_340,
            ["invoice"] = null,
            ["livemode"] = false,
            ["locale"] = null,
            ["metadata"] = metadata,
            ["mode"] = "payment",
            ["payment_intent"] = status == "expired" ? null : paymentIntent,
            ["payment_link"] = null,
            ["payment_method_collection"] = "if_required",
            ["payment_method_types"] = new JsonArray("card", "us_bank_account"),
            ["payment_status"] = paymentStatus,
            ["shipping_address_collection"] = null,
            ["shipping_details"] = null,
            ["status"] = status,
            ["submit_type"] = null,
            ["subscription"] = null,
            ["success_url"] = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
            ["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 },
            ["ui_mode"] = "hosted",
            ["url"] = null,
        };
    }

    private static JsonObject Charge(TestEventRequest request, string paymentIntent, long created)
    {
        var refunded = request.RefundedAmount ?? request.Amount;
        return new JsonObject
        {
            ["id"] = NewId("ch_test"),
            ["object"] = "charge",
            ["amount"] = request.Amount,
            ["amount_captured"] = request.Amount,
            ["amount_refunded"] = refunded,
            ["balance_transaction"] = NewId("txn_test"),
            ["billing_details"] = new JsonObject { ["email"] = request.Email, ["name"] = "Test Buyer" },
            ["captured"] = true,
            ["created"] = created - 3600,
            ["currency"] = request.Currency,
            ["customer"] = null,
            ["description"] = null,
            ["disputed"] = false,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["paid"] = true,
            ["payment_intent"] = paymentIntent,
            ["payment_method"] = NewId("pm_test"),
            ["receipt_email"] = request.Email,
            ["refunded"] = refunded >= request.Amount,
            ["status"] = "succeeded",
        };
    }

    private static JsonObject Dispute(TestEventRequest request, string paymentIntent, long created) => new()
    {
        ["id"] = NewId("dp_test"),
        ["object"] = "dispute",
        ["amount"] = request.Amount,
        ["balance_transactions"] = new JsonArray(),
        ["charge"] = NewId("ch_test"),
        ["created"] = created,
        ["currency"] = request.Currency,
        ["evidence_details"] = new JsonObject { ["due_by"] = created + 7 * 86_400, ["has_evidence"] = false, ["past_due"] = false, ["submission_count"] = 0 },
        ["is_charge_refundable"] = false,
        ["livemode"] = false,
        ["metadata"] = new JsonObject(),
        ["payment_intent"] = paymentIntent,
        ["reason"] = "fraudulent",
        ["status"] = "needs_response",
    };
}
