-- pgbench script: the exact SQL Credits runs today (captured with log_statement=all) for one
-- granted checkout.session.completed, one transaction per event, random unique ids per transaction.
-- Parameters Npgsql binds ($1...) are pgbench variables or expressions over them; the ~3.6 KB
-- event payload (bench/Credits.Bench/CheckoutEvent.cs) is a literal, sent with every execution as
-- the server sends it as a parameter. Run with -M extended (Npgsql's default: unprepared extended
-- protocol). 1,000 accounts, as the load generator's default --users.
-- Usage: pgbench -n -M extended -c 16 -j 2 -T 15 -f bench/hotpath.sql <database with the Credits schema>
\set uid random(1, 1000)
\set n random(1, 9000000000000000000)
\set credits 100
\set amount 3500
\set now 1795785684495

-- Npgsql resets a pooled connection on every open; the reset goes out with the first command.
DISCARD ALL;
BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED;

-- CreditLedger.EnsureAccountAsync (metadata.user_id is authoritative: the account is created if new)
INSERT INTO accounts (id, email, balance, created_at, updated_at)
VALUES ('bench_pgb_u' || :uid, 'bench_pgb_u' || :uid || '@example.com', 0, :now, :now)
ON CONFLICT (id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at
WHERE accounts.email IS NULL AND excluded.email IS NOT NULL;

-- CheckoutPayments.TryWriteAsync (granted, replacing pending or unmatched)
INSERT INTO checkout_payments (session_id, status, account_id, credits, amount_total, currency, payment_intent, customer_id, email, reason, event_id, created_at, updated_at)
VALUES ('cs_test_pgb' || :n, 'granted', 'bench_pgb_u' || :uid, :credits, :amount, 'usd', 'pi_pgb' || :n, 'cus_pgb' || :uid, 'bench_pgb_u' || :uid || '@example.com', NULL, 'evt_pgb' || :n, :now, :now)
ON CONFLICT (session_id) DO UPDATE SET
    status = excluded.status, account_id = excluded.account_id, credits = excluded.credits,
    amount_total = excluded.amount_total, currency = excluded.currency,
    payment_intent = COALESCE(excluded.payment_intent, checkout_payments.payment_intent),
    customer_id = COALESCE(excluded.customer_id, checkout_payments.customer_id),
    email = COALESCE(excluded.email, checkout_payments.email),
    reason = excluded.reason, event_id = excluded.event_id, updated_at = excluded.updated_at
WHERE checkout_payments.status IN ('pending', 'unmatched');

-- CreditLedger.PostAsync: the ledger row, then the balance
INSERT INTO ledger_entries (account_id, amount, kind, source_kind, source_id, reason, created_at)
VALUES ('bench_pgb_u' || :uid, :credits, 'purchase', 'checkout_session', 'cs_test_pgb' || :n, 'Stripe Checkout 3500 usd', :now)
ON CONFLICT (source_kind, source_id) DO NOTHING;

UPDATE accounts SET balance = balance + :credits, updated_at = :now WHERE id = 'bench_pgb_u' || :uid RETURNING balance;

-- CheckoutPayments.LinkCustomerAsync
INSERT INTO stripe_customers (customer_id, account_id, created_at) VALUES ('cus_pgb' || :uid, 'bench_pgb_u' || :uid, :now)
ON CONFLICT (customer_id) DO NOTHING;

-- WebhookEvents.TryStoreAsync
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

COMMIT;
