using System.Globalization;

namespace Credits.Bench;

/// <summary>
/// A checkout.session.completed delivery as Stripe sends it (API 2024-06-20, pretty-printed with
/// two-space indents, every field a real one carries), ~3.5 KB. Only ids, user, credits and
/// amounts vary, so every event is unique and grants on its own.
/// Written out here rather than built by the product's <c>TestEvents</c> on purpose: the bench
/// references no project of src (bench/ab.sh runs this one load generator against two builds of
/// the server, so what it sends must not change with the code under test), and these bytes, the
/// size and indentation Stripe really sends, are the payload the published numbers were measured with.
/// </summary>
public static class CheckoutEvent
{
    private static readonly (long Credits, long Amount, string Pack)[] Packs =
        [(10, 500, "starter"), (50, 2000, "standard"), (100, 3500, "pro"), (500, 15000, "team")];

    /// <summary>The pack of event number <paramref name="index"/>; callers add up what each 2xx granted.</summary>
    public static long CreditsOf(int index) => Packs[index % Packs.Length].Credits;

    public static string Json(string runId, int index, string userId, long? credits = null, long? nowSeconds = null)
    {
        var pack = Packs[index % Packs.Length];
        var created = nowSeconds ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var id = string.Create(CultureInfo.InvariantCulture, $"{runId}{index:x8}");
        var customer = string.Create(CultureInfo.InvariantCulture, $"cus_{userId.Replace("_", "", StringComparison.Ordinal)}");
        var grant = credits ?? pack.Credits;
        return $$"""
            {
              "id": "evt_1Q{{id}}Bench",
              "object": "event",
              "api_version": "2024-06-20",
              "created": {{created}},
              "data": {
                "object": {
                  "id": "cs_test_a1{{id}}HyM2xBenchKq7ZtLmQ0pR4sVw9xYbCdEfGh",
                  "object": "checkout.session",
                  "adaptive_pricing": {
                    "enabled": false
                  },
                  "after_expiration": null,
                  "allow_promotion_codes": null,
                  "amount_subtotal": {{pack.Amount}},
                  "amount_total": {{pack.Amount}},
                  "automatic_tax": {
                    "enabled": false,
                    "liability": null,
                    "status": null
                  },
                  "billing_address_collection": null,
                  "cancel_url": "https://app.resumematcher.example/billing?canceled=1",
                  "client_reference_id": "{{userId}}",
                  "client_secret": null,
                  "consent": null,
                  "consent_collection": null,
                  "created": {{created - 42}},
                  "currency": "usd",
                  "currency_conversion": null,
                  "custom_fields": [],
                  "custom_text": {
                    "after_submit": null,
                    "shipping_address": null,
                    "submit": null,
                    "terms_of_service_acceptance": null
                  },
                  "customer": "{{customer}}",
                  "customer_creation": "always",
                  "customer_details": {
                    "address": {
                      "city": null,
                      "country": "US",
                      "line1": null,
                      "line2": null,
                      "postal_code": "94103",
                      "state": null
                    },
                    "email": "{{userId}}@example.com",
                    "name": "Bench Buyer",
                    "phone": null,
                    "tax_exempt": "none",
                    "tax_ids": []
                  },
                  "customer_email": null,
                  "expires_at": {{created + 86358}},
                  "invoice": null,
                  "invoice_creation": {
                    "enabled": false,
                    "invoice_data": {
                      "account_tax_ids": null,
                      "custom_fields": null,
                      "description": null,
                      "footer": null,
                      "issuer": null,
                      "metadata": {},
                      "rendering_options": null
                    }
                  },
                  "livemode": false,
                  "locale": null,
                  "metadata": {
                    "credits": "{{grant}}",
                    "pack_id": "{{pack.Pack}}",
                    "user_id": "{{userId}}"
                  },
                  "mode": "payment",
                  "payment_intent": "pi_3Q{{id}}BenchPaymentIntent",
                  "payment_link": null,
                  "payment_method_collection": "if_required",
                  "payment_method_configuration_details": {
                    "id": "pmc_1PbEnchConfigurationX7",
                    "parent": null
                  },
                  "payment_method_options": {
                    "card": {
                      "request_three_d_secure": "automatic"
                    }
                  },
                  "payment_method_types": [
                    "card",
                    "link",
                    "cashapp",
                    "amazon_pay"
                  ],
                  "payment_status": "paid",
                  "phone_number_collection": {
                    "enabled": false
                  },
                  "recovered_from": null,
                  "saved_payment_method_options": {
                    "allow_redisplay_filters": [
                      "always"
                    ],
                    "payment_method_remove": null,
                    "payment_method_save": null
                  },
                  "setup_intent": null,
                  "shipping_address_collection": null,
                  "shipping_cost": null,
                  "shipping_details": null,
                  "shipping_options": [],
                  "status": "complete",
                  "submit_type": null,
                  "subscription": null,
                  "success_url": "https://app.resumematcher.example/billing/success?session_id={CHECKOUT_SESSION_ID}",
                  "total_details": {
                    "amount_discount": 0,
                    "amount_shipping": 0,
                    "amount_tax": 0
                  },
                  "ui_mode": "hosted",
                  "url": null
                }
              },
              "livemode": false,
              "pending_webhooks": 1,
              "request": {
                "id": null,
                "idempotency_key": null
              },
              "type": "checkout.session.completed"
            }
            """;
    }
}
