-- pgbench script: the one statement Credits runs on PostgreSQL for a granted checkout.session.completed
-- naming our own user id (src/Credits/Stripe/OneStatementGrant.cs: claim the event, lock the
-- payment intent, check the account rules agree, grant the session, credit the account, write the ledger row,
-- the purchase's credit lot and its entry part, link the customer),
-- in a transaction of its own with random unique ids. The server shares each transaction among the
-- events that arrive together (group commit); this script gives every event its own commit, so it
-- is the rate of the same work without group commit. Parameters Npgsql binds are pgbench variables
-- or expressions over them; the ~3.6 KB event payload (bench/Credits.Bench/CheckoutEvent.cs) is a
-- literal sent with every execution. 1,000 accounts, as the load generator's default --users.
-- Usage: pgbench -n -M prepared -c 16 -j 2 -T 15 -f bench/hotpath.sql <database with the Credits schema>
\set uid random(1, 1000)
\set n random(1, 9000000000000000000)
\set credits 100
\set amount 3500
\set now 1795785684495

BEGIN;
WITH claimed AS (
    INSERT INTO webhook_events (id, type, livemode, api_version, created, payload, status, user_id, credits_added,
                                object_id, detail, error, attempts, received_at, processed_at)
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
}', 'granted', 'bench_pgb_u' || :uid, :credits,
            'cs_test_pgb' || :n, NULL, NULL, 1, :now, :now)
    ON CONFLICT (id) DO NOTHING
    RETURNING id),
locked AS (
    SELECT credits_lock_payment_intent('pi_pgb' || :n) AS reversals_waiting
    FROM claimed WHERE CAST('pi_pgb' || :n AS text) IS NOT NULL),
agreed AS (
    SELECT 1 AS ok
    WHERE CASE WHEN EXISTS (SELECT 1 FROM checkout_sessions WHERE session_id = 'cs_test_pgb' || :n)
        THEN EXISTS (SELECT 1 FROM checkout_sessions WHERE session_id = 'cs_test_pgb' || :n AND account_id = 'bench_pgb_u' || :uid AND credits = :credits)
        ELSE NOT EXISTS (SELECT 1 FROM stripe_customers WHERE customer_id = 'cus_pgb' || :uid AND account_id <> 'bench_pgb_u' || :uid)
             AND (EXISTS (SELECT 1 FROM accounts WHERE id = 'bench_pgb_u' || :uid)
                  OR (true AND NOT EXISTS (SELECT 1 FROM accounts WHERE email = 'bench_pgb_u' || :uid || '@example.com')))
        END
      AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = 'bench_pgb_u' || :uid AND debt > 0)),
paid AS (
    INSERT INTO checkout_payments (session_id, status, account_id, credits, amount_total, currency, payment_intent,
                                   customer_id, email, reason, event_id, created_at, updated_at)
    SELECT 'cs_test_pgb' || :n, 'granted', 'bench_pgb_u' || :uid, :credits, :amount, 'usd', 'pi_pgb' || :n,
           'cus_pgb' || :uid, 'bench_pgb_u' || :uid || '@example.com', NULL, 'evt_pgb' || :n, :now, :now
    FROM claimed, agreed WHERE NOT EXISTS (SELECT 1 FROM locked WHERE reversals_waiting)
    ON CONFLICT (session_id) DO UPDATE SET status = excluded.status, account_id = excluded.account_id, credits = excluded.credits,
                amount_total = excluded.amount_total, currency = excluded.currency,
                payment_intent = COALESCE(excluded.payment_intent, checkout_payments.payment_intent),
                customer_id = COALESCE(excluded.customer_id, checkout_payments.customer_id),
                email = COALESCE(excluded.email, checkout_payments.email),
                reason = excluded.reason, event_id = excluded.event_id, updated_at = excluded.updated_at,
                reason_code = excluded.reason_code, candidates = excluded.candidates
    WHERE checkout_payments.status IN ('pending', 'unmatched')
    RETURNING session_id),
credited AS (
    INSERT INTO accounts (id, email, balance, created_at, updated_at)
    SELECT 'bench_pgb_u' || :uid, 'bench_pgb_u' || :uid || '@example.com', :credits, :now, :now FROM paid
    ON CONFLICT (id) DO UPDATE SET
        balance = accounts.balance + excluded.balance,
        email = COALESCE(accounts.email, excluded.email),
        updated_at = excluded.updated_at
    RETURNING balance),
entry AS (
    INSERT INTO ledger_entries (account_id, amount, kind, source_kind, source_id, reason, created_at)
    SELECT 'bench_pgb_u' || :uid, :credits, 'purchase', 'checkout_session', 'cs_test_pgb' || :n, 'Stripe Checkout 3500 usd', :now FROM paid
    RETURNING id),
lot AS (
    INSERT INTO credit_lots (account_id, category, source_kind, source_id, granted, remaining, expires_at, created_at)
    SELECT 'bench_pgb_u' || :uid, 'paid', 'checkout_session', 'cs_test_pgb' || :n, :credits, :credits, NULL, :now FROM paid
    RETURNING id),
part AS (
    INSERT INTO entry_lots (entry_id, lot_id, amount)
    SELECT entry.id, lot.id, :credits FROM entry, lot),
linked AS (
    INSERT INTO stripe_customers (customer_id, account_id, created_at)
    SELECT 'cus_pgb' || :uid, 'bench_pgb_u' || :uid, :now FROM paid WHERE CAST('cus_pgb' || :uid AS text) <> ''
    ON CONFLICT (customer_id) DO NOTHING)
SELECT (SELECT count(*) FROM claimed) AS claimed, (SELECT count(*) FROM entry) AS granted, (SELECT balance FROM credited) AS balance,
       EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled = 1) AS endpoints;
COMMIT;
