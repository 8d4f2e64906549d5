-- A smaller write set for every grant (docs/benchmarks.md, "Smaller write set").
--
-- Purchases and reversals of one payment intent no longer take a row lock here: PostgreSQL
-- serialises them with an advisory lock (credits_lock_payment_intent, 0013_payment_intent_lock)
-- and SQLite has one writer, so its transactions are serialised already. Whether a refund waits
-- for its purchase is read from payment_reversals (payment_reversals_payment_intent covers
-- payment_intent = ? AND status = 'pending') instead of a counter kept here. An instance still
-- running the code before this script fails on the missing table, and Stripe retries on the new
-- one, rather than racing the new one without a lock they share.
DROP TABLE payment_intent_locks;

-- The lists an operator reads want the rows that still need someone (parked payments, failed
-- events, messages still to send), never the granted, processed or delivered majority, which no
-- longer get an entry in these indexes. One status per index: SQLite uses a partial index only
-- when the query names its condition exactly. ListQueryPlanTests runs EXPLAIN on each list query.
DROP INDEX checkout_payments_status;
CREATE INDEX checkout_payments_unmatched ON checkout_payments (created_at) WHERE status = 'unmatched';
DROP INDEX checkout_payments_email;
CREATE INDEX checkout_payments_unmatched_email ON checkout_payments (email) WHERE status = 'unmatched';
-- An event's 'pending' or 'unmatched' outcome is final (the payment moves on, the event does
-- not), so only failed events, which wait for a replay, have an index of their own; the other
-- statuses are listed through webhook_events_received.
DROP INDEX webhook_events_status;
CREATE INDEX webhook_events_failed ON webhook_events (received_at DESC) WHERE status = 'failed';
DROP INDEX webhook_messages_due;
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
DROP INDEX webhook_messages_order;
CREATE INDEX webhook_messages_order ON webhook_messages (endpoint_id, account_id, seq) WHERE status = 'pending';
