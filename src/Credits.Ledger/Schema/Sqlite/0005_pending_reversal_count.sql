-- The grant reads this with the lock it already takes, instead of searching payment_reversals
-- on every purchase: most payments never have a refund waiting for them.
ALTER TABLE payment_intent_locks ADD COLUMN pending_reversals integer NOT NULL DEFAULT 0;

UPDATE payment_intent_locks
SET pending_reversals = (
    SELECT COUNT(*) FROM payment_reversals r
    WHERE r.payment_intent = payment_intent_locks.payment_intent AND r.status = 'pending');
