-- pgbench script: the issue's "as one statement" baseline. The same event, stored by the same
-- webhook_events INSERT as bench/hotpath.sql, alone, in its own (autocommit) transaction: one
-- round trip and one durable commit per event, the most a one-commit-per-event design can reach.
-- Usage: pgbench -n -M prepared -c 16 -j 2 -T 15 -f bench/single-statement.sql <database with the Credits schema>
\set uid random(1, 1000)
\set n random(1, 9000000000000000000)
\set credits 100
\set amount 3500
\set now 1795785684495

INSERT INTO webhook_events (id, type, livemode, api_version, created, payload, status, user_id, credits_added, object_id, detail, error, attempts, received_at, processed_at)
VALUES ('evt_pgb' || :n, 'checkout.session.completed', 0, '2024-06-20', 1795785683, '{
  "id": "evt_1Q6b0983d3ed700000000Bench",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1795785683,
  "data": {
    "object": {
      "id": "cs_test_a16b0983d3ed700000000HyM2xBenchKq7ZtLmQ0pR4sVw9xYbCdEfGh",
      "object": "checkout.session",
      "adaptive_pricing": {
        "enabled": false
      },
      "after_expiration": null,
      "allow_promotion_codes": null,
      "amount_subtotal": 500,
      "amount_total": 500,
      "automatic_tax": {
        "enabled": false,
        "liability": null,
        "status": null
      },
      "billing_address_collection": null,
      "cancel_url": "https://app.resumematcher.example/billing?canceled=1",
      "client_reference_id": "bench_6b0983d3ed7_u0",
      "client_secret": null,
      "consent": null,
      "consent_collection": null,
      "created": 1795785641,
      "currency": "usd",
      "currency_conversion": null,
      "custom_fields": [],
      "custom_text": {
        "after_submit": null,
        "shipping_address": null,
        "submit": null,
        "terms_of_service_acceptance": null
      },
      "customer": "cus_bench6b0983d3ed7u0",
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
        "email": "bench_6b0983d3ed7_u0@example.com",
        "name": "Bench Buyer",
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": []
      },
      "customer_email": null,
      "expires_at": 1795872041,
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
        "credits": "10",
        "pack_id": "starter",
        "user_id": "bench_6b0983d3ed7_u0"
      },
      "mode": "payment",
      "payment_intent": "pi_3Q6b0983d3ed700000000BenchPaymentIntent",
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
}', 'granted', 'bench_pgb_u' || :uid, :credits, 'cs_test_pgb' || :n, NULL, NULL, 1, :now, :now)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, user_id = excluded.user_id, credits_added = excluded.credits_added,
    object_id = excluded.object_id, detail = excluded.detail, error = NULL,
    attempts = webhook_events.attempts + 1, processed_at = excluded.processed_at
WHERE webhook_events.status = 'failed';
