-- Checkout Sessions that Credits created itself (POST /api/checkout/sessions), written before the
-- API answers: the webhook, the success page, reconcile and replay trust this account and these
-- credits first, and park a session whose metadata names anyone else.
CREATE TABLE checkout_sessions (
    session_id  text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id),
    pack_id     text NOT NULL,
    quantity    bigint NOT NULL,
    credits     bigint NOT NULL,
    created_at  bigint NOT NULL
);

-- Why a payment was parked, as a code (no_account, unknown_account, conflicting_accounts,
-- no_credit_amount, ambiguous_pack), and the accounts an operator might assign it to
-- (JSON array of {user_id, why}).
ALTER TABLE checkout_payments ADD COLUMN reason_code text;
ALTER TABLE checkout_payments ADD COLUMN candidates text;

-- An operator moving a granted purchase to another account. The pair of ledger rows it writes
-- (reassign_out on from_account, reassign_in on to_account) share source_id.
CREATE TABLE payment_reassignments (
    session_id      text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash    text NOT NULL,
    source_id       text NOT NULL UNIQUE,
    from_account    text NOT NULL,
    to_account      text NOT NULL,
    credits         bigint NOT NULL,
    reason          text NOT NULL,
    response        text,
    created_at      bigint NOT NULL,
    PRIMARY KEY (session_id, idempotency_key)
);
CREATE INDEX payment_reassignments_session ON payment_reassignments (session_id, created_at);
