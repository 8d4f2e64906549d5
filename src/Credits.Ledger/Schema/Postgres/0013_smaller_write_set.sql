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

