using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Credits.Stripe;

/// <summary>
/// Builds realistic, fully shaped Stripe events (every field a real delivery carries) and signs
/// them the way Stripe does, for <c>send-test-event</c>, <c>simulate</c> and the tests. The JSON
/// shape of each object is written here only; the kinds come from <see cref="HandledEvents"/>.
/// </summary>
public static class TestEvents
{
    /// <summary>Older than Stripe.net's pinned version, as endpoints usually are.</summary>
    public const string ApiVersion = "2024-06-20";

    /// <summary>The kinds <c>--kind</c> accepts, with the Stripe event type each one sends.</summary>
    public static IReadOnlyDictionary<string, string> Kinds { get; } =
        HandledEvents.All.SelectMany(e => e.TestKinds.Select(k => (k.Name, e.Type))).ToDictionary(p => p.Name, p => p.Type, StringComparer.Ordinal);

    private static readonly Dictionary<string, TestKind> KindsByName =
        HandledEvents.All.SelectMany(e => e.TestKinds).ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static string NewId(string prefix) => $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    public static TestEvent Build(TestEventRequest request, DateTimeOffset now)
    {
        if (!KindsByName.TryGetValue(request.Kind, out var kind))
        {
            throw new ArgumentException($"Unknown test event kind '{request.Kind}'; use one of {string.Join(", ", Kinds.Keys)}.", nameof(request));
        }
        var type = Kinds[request.Kind];
        var paymentIntent = request.PaymentIntent ?? NewId("pi_test");
        var eventId = request.EventId ?? NewId("evt_test");
        var created = now.ToUnixTimeSeconds();
        var built = kind.Build(request, paymentIntent, created);
        var objectId = (string)built.Object["id"]!;
        var json = Envelope(type, built.Object, eventId, created, livemode: false, built.PreviousAttributes, new JsonObject { ["id"] = NewId("req"), ["idempotency_key"] = Guid.NewGuid().ToString() });
        return new TestEvent(json, eventId, type, objectId, built.IsSession ? objectId : null, paymentIntent);
    }

    /// <summary>An event envelope around <paramref name="dataObject"/>, as Stripe delivers it.</summary>
    public static string Envelope(
        string type, JsonObject dataObject, string eventId, long created, bool livemode = false, JsonObject? previousAttributes = null, JsonObject? request = null)
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
            ["livemode"] = livemode,
            ["pending_webhooks"] = 1,
            ["request"] = request ?? new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
        }.ToJsonString();
    }

    /// <summary>A <c>Stripe-Signature</c> header: t= and one v1 HMAC-SHA256 of "{t}.{body}" keyed by the whole whsec_ string.</summary>
    public static string SignatureHeader(string json, string secret, DateTimeOffset signedAt) =>
        SignatureHeader(Encoding.UTF8.GetBytes(json), secret, signedAt);

    /// <summary>The same over raw bytes, for bodies that are not a .NET string (invalid UTF-8).</summary>
    public static string SignatureHeader(ReadOnlySpan<byte> body, string secret, DateTimeOffset signedAt)
    {
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={timestamp},v1={Signature(secret, timestamp, body)}";
    }

    /// <summary>One v1 signature: lowercase hex HMAC-SHA256 of "{timestamp}.{body}" keyed by the UTF-8 of the whole secret.</summary>
    public static string Signature(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length];
        var written = Encoding.UTF8.GetBytes(timestamp, signed);
        signed[written] = (byte)'.';
        body.CopyTo(signed.AsSpan(written + 1));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>A send-test-event kind building a Checkout Session with this status and payment_status.</summary>
    internal static BuildTestObject Session(string status, string paymentStatus) => (request, paymentIntent, created) => new(CheckoutSession(new SessionFields
    {
        Id = request.SessionId ?? NewId("cs_test"), UserId = request.UserId, Credits = request.Credits, Amount = request.Amount, Currency = request.Currency,
        Status = status, PaymentStatus = paymentStatus, ClientReferenceId = request.UserId, Email = request.Email, CustomerEmail = request.Email,
        PaymentIntent = status == "expired" ? null : paymentIntent, Created = created - 60, ExpiresAt = created + 86_340,
        PaymentMethodTypes = ["card", "us_bank_account"],
    }), null, IsSession: true);

    internal static TestObject RefundedCharge(TestEventRequest request, string paymentIntent, long created) => new(Charge(new ChargeFields
    {
        Id = NewId("ch_test"), PaymentIntent = paymentIntent, Amount = request.Amount, AmountRefunded = request.RefundedAmount ?? request.Amount,
        Currency = request.Currency, Email = request.Email, Created = created - 3600,
    }), new JsonObject { ["amount_refunded"] = 0, ["refunded"] = false }, IsSession: false);

    internal static BuildTestObject Dispute(string status) => (request, paymentIntent, created) => new(Dispute(new DisputeFields
    {
        Id = request.DisputeId ?? NewId("dp_test"), PaymentIntent = paymentIntent, Charge = NewId("ch_test"), Amount = request.Amount,
        Currency = request.Currency, Status = status, Created = created,
    }), null, IsSession: false);

    /// <summary>A checkout.session object.</summary>
    public static JsonObject CheckoutSession(SessionFields f)
    {
        var metadata = new JsonObject();
        if (f.UserId is not null)
        {
            metadata["user_id"] = f.UserId;
        }
        if (f.Credits is { } credits)
        {
            metadata["credits"] = credits.ToString(CultureInfo.InvariantCulture);
        }
        return new JsonObject
        {
            ["id"] = f.Id,
            ["object"] = "checkout.session",
            ["after_expiration"] = null,
            ["allow_promotion_codes"] = null,
            ["amount_subtotal"] = f.Amount,
            ["amount_total"] = f.Amount,
            ["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["status"] = null },
            ["billing_address_collection"] = null,
            ["cancel_url"] = "https://example.com/cancel",
            ["client_reference_id"] = f.ClientReferenceId,
            ["consent"] = null,
            ["created"] = f.Created,
            ["currency"] = f.Currency,
            ["customer"] = f.Customer,
            ["customer_creation"] = "if_required",
            ["customer_details"] = new JsonObject
            {
                ["address"] = new JsonObject { ["city"] = null, ["country"] = "US", ["line1"] = null, ["line2"] = null, ["postal_code"] = "94103", ["state"] = null },
                ["email"] = f.Email,
                ["name"] = "Test Buyer",
                ["phone"] = null,
                ["tax_exempt"] = "none",
                ["tax_ids"] = new JsonArray(),
            },
            ["customer_email"] = f.CustomerEmail,
            ["expires_at"] = f.ExpiresAt,
            ["invoice"] = null,
            ["livemode"] = false,
            ["locale"] = null,
            ["metadata"] = metadata,
            ["mode"] = f.Mode,
            ["payment_intent"] = f.PaymentIntent,
            ["payment_link"] = null,
            ["payment_method_collection"] = "if_required",
            ["payment_method_types"] = new JsonArray([.. f.PaymentMethodTypes.Select(t => (JsonNode?)t)]),
            ["payment_status"] = f.PaymentStatus,
            ["shipping_address_collection"] = null,
            ["shipping_details"] = null,
            ["status"] = f.Status,
            ["submit_type"] = null,
            ["subscription"] = null,
            ["success_url"] = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
            ["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 },
            ["ui_mode"] = "hosted",
            ["url"] = null,
        };
    }

    /// <summary>A charge object as charge.refunded carries it: amount_refunded is cumulative.</summary>
    public static JsonObject Charge(ChargeFields f) => new()
    {
        ["id"] = f.Id,
        ["object"] = "charge",
        ["amount"] = f.Amount,
        ["amount_captured"] = f.Amount,
        ["amount_refunded"] = f.AmountRefunded,
        ["balance_transaction"] = NewId("txn_test"),
        ["billing_details"] = new JsonObject { ["email"] = f.Email, ["name"] = "Test Buyer" },
        ["captured"] = true,
        ["created"] = f.Created,
        ["currency"] = f.Currency,
        ["customer"] = null,
        ["description"] = null,
        ["disputed"] = false,
        ["livemode"] = false,
        ["metadata"] = new JsonObject(),
        ["paid"] = true,
        ["payment_intent"] = f.PaymentIntent,
        ["payment_method"] = NewId("pm_test"),
        ["receipt_email"] = f.Email,
        ["refunded"] = f.AmountRefunded >= f.Amount,
        ["status"] = "succeeded",
    };

    /// <summary>A dispute object as charge.dispute.* carries it.</summary>
    public static JsonObject Dispute(DisputeFields f) => new()
    {
        ["id"] = f.Id,
        ["object"] = "dispute",
        ["amount"] = f.Amount,
        ["balance_transactions"] = new JsonArray(),
        ["charge"] = f.Charge,
        ["created"] = f.Created,
        ["currency"] = f.Currency,
        ["evidence_details"] = new JsonObject { ["due_by"] = f.Created + 7 * 86_400, ["has_evidence"] = false, ["past_due"] = false, ["submission_count"] = 0 },
        ["is_charge_refundable"] = false,
        ["livemode"] = false,
        ["metadata"] = new JsonObject(),
        ["payment_intent"] = f.PaymentIntent,
        ["reason"] = "fraudulent",
        ["status"] = f.Status,
    };
}

/// <summary>A built test event: the exact JSON to sign and the ids it carries, so a follow-up event can refer to them.</summary>
public sealed record TestEvent(string Json, string EventId, string Type, string ObjectId, string? SessionId, string PaymentIntent);

/// <summary>What <c>credits send-test-event</c> and <c>credits simulate</c> ask <see cref="TestEvents"/> to build.</summary>
public sealed record TestEventRequest(string Kind)
{
    public string? UserId { get; init; }
    public long? Credits { get; init; }
    public long Amount { get; init; } = 500;
    public string Currency { get; init; } = "usd";
    public string? Email { get; init; }

    /// <summary>Reuse a Checkout Session id, e.g. to follow an unpaid checkout with its async success.</summary>
    public string? SessionId { get; init; }

    /// <summary>Reuse a payment intent, e.g. to refund or dispute an earlier test purchase.</summary>
    public string? PaymentIntent { get; init; }

    /// <summary>Reuse a dispute id, e.g. to close an earlier test dispute as won.</summary>
    public string? DisputeId { get; init; }

    /// <summary>For refunds: the cumulative amount refunded so far; the whole amount when null.</summary>
    public long? RefundedAmount { get; init; }

    public string? EventId { get; init; }
}

/// <summary>One <c>send-test-event --kind</c>: its name and how it builds the event's data.object.</summary>
public sealed record TestKind(string Name, BuildTestObject Build);

public delegate TestObject BuildTestObject(TestEventRequest request, string paymentIntent, long created);

/// <summary>A built data.object, the previous_attributes it comes with, and whether it is a Checkout Session.</summary>
public sealed record TestObject(JsonObject Object, JsonObject? PreviousAttributes, bool IsSession);

/// <summary>The fields of a checkout.session that tests and test events vary.</summary>
public sealed record SessionFields
{
    public required string Id { get; init; }
    public string? UserId { get; init; }
    public long? Credits { get; init; }
    public long Amount { get; init; } = 500;
    public string Currency { get; init; } = "usd";
    public string Status { get; init; } = "complete";
    public string PaymentStatus { get; init; } = "paid";
    public string? ClientReferenceId { get; init; }
    public string? Customer { get; init; }
    public string? Email { get; init; }
    public string? CustomerEmail { get; init; }
    public string Mode { get; init; } = "payment";
    public string? PaymentIntent { get; init; }
    public long Created { get; init; }
    public long ExpiresAt { get; init; }
    public IReadOnlyList<string> PaymentMethodTypes { get; init; } = ["card"];
}

public sealed record ChargeFields
{
    public required string Id { get; init; }
    public required string PaymentIntent { get; init; }
    public required long Amount { get; init; }
    public required long AmountRefunded { get; init; }
    public string Currency { get; init; } = "usd";
    public string? Email { get; init; }
    public long Created { get; init; }
}

public sealed record DisputeFields
{
    public required string Id { get; init; }
    public required string PaymentIntent { get; init; }
    public required string Charge { get; init; }
    public required long Amount { get; init; }
    public required string Status { get; init; }
    public string Currency { get; init; } = "usd";
    public long Created { get; init; }
}
