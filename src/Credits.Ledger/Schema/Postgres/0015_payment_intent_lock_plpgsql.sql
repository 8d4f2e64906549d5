-- credits_lock_payment_intent in PL/pgSQL. A LANGUAGE sql function that is not inlined has its
-- body parsed and planned again on every statement that calls it, and every grant calls it once:
-- that was up to 40 % of the grant statement's time in PostgreSQL (auto_explain under load).
-- PL/pgSQL keeps its plans for the life of the connection. Same lock, same key, same answer: in a
-- VOLATILE function each query still takes a fresh snapshot, so the probe runs after the lock is
-- granted and sees a pending refund committed meanwhile (PaymentIntentLockTests).
CREATE OR REPLACE FUNCTION credits_lock_payment_intent(intent text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(intent, 0));
    RETURN EXISTS (SELECT 1 FROM payment_reversals WHERE payment_intent = intent AND status = 'pending');
END
$$;
