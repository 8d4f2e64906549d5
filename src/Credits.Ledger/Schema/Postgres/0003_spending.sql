-- Credits reserved by active holds. available = balance - held; a spend or a new hold only
-- succeeds through a conditional UPDATE on this row, so no concurrency can overdraw.
-- Invariant: held = sum(credits) of this account's holds with status 'active'.
ALTER TABLE accounts ADD COLUMN held bigint NOT NULL DEFAULT 0;

-- A reservation made before work and captured (charged) or released after. Not a ledger
-- movement until captured: capture writes one ledger row (source 'hold_capture', id).
CREATE TABLE holds (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts (id),
    credits         bigint NOT NULL CHECK (credits > 0),
    status          text NOT NULL,
    captured        bigint NOT NULL DEFAULT 0,
    expires_at      bigint NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);
CREATE INDEX holds_active ON holds (account_id, status, expires_at);

-- One row per (account, Idempotency-Key): claimed in the same transaction as the movement
-- it guards, so a key charges at most once. request_hash tells a retry from a reuse.
CREATE TABLE idempotency_keys (
    account_id      text NOT NULL,
    key             text NOT NULL,
    operation       text NOT NULL,
    request_hash    text NOT NULL,
    status_code     integer,
    response        text,
    created_at      bigint NOT NULL,
    PRIMARY KEY (account_id, key)
);
