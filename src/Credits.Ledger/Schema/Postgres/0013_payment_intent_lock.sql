-- Work on one payment intent (its purchase, refunds, disputes, an operator's assignment or
-- reassignment) is serialised by a transaction-scoped advisory lock instead of a row in
-- payment_intent_locks: a grant writes one row and one index entry fewer, and the lock is gone
-- at commit or rollback.
--
-- The key is hashtextextended(payment_intent, 0), computed by the server that holds the locks,
-- so every caller (any version of Credits, pgbench, psql) derives the same key from the same
-- text; it is the hash PostgreSQL's hash partitioning places rows by, which pg_upgrade keeps in
-- place, so it does not change between releases. A key shared by two payment intents (or with the
-- migration lock's constant) only makes them wait for each other, never changes an answer.
--
-- The function also answers whether a reversal is waiting for this payment's purchase, and it
-- must: a VOLATILE function takes a fresh snapshot for each query in it (READ COMMITTED), so the
-- probe below runs after the lock is held and sees a pending refund committed by the
-- transaction the lock waited for. The same probe written as a step of the calling statement
-- would read that statement's snapshot, taken before the wait, and miss it
-- (OneStatementGrant and PaymentIntentLockTests say more).
CREATE FUNCTION credits_lock_payment_intent(intent text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtextextended(intent, 0));
    SELECT EXISTS (SELECT 1 FROM payment_reversals WHERE payment_intent = intent AND status = 'pending');
$$;
