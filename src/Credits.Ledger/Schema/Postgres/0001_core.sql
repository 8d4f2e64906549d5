-- Times are unix milliseconds (bigint) so the SQL is the same on both providers.
CREATE TABLE accounts (
    id          text PRIMARY KEY,
    email       text,
    balance     bigint NOT NULL DEFAULT 0,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);
CREATE INDEX accounts_email ON accounts (email);

-- Append-only: one row per movement. (source_kind, source_id) is the idempotency key.
CREATE TABLE ledger_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id),
    amount      bigint NOT NULL,
    kind        text NOT NULL,
    source_kind text NOT NULL,
    source_id   text NOT NULL,
    reason      text,
    created_at  bigint NOT NULL,
    CONSTRAINT ledger_entries_source UNIQUE (source_kind, source_id)
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id DESC);

-- A Stripe customer id linked to an account by an earlier purchase.
CREATE TABLE stripe_customers (
    customer_id text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id),
    created_at  bigint NOT NULL
);

-- One row per Checkout Session: its primary key is what makes a grant happen once.
CREATE TABLE checkout_payments (
    session_id      text PRIMARY KEY,
    status          text NOT NULL,
    account_id      text,
    credits         bigint,
    amount_total    bigint,
    currency        text,
    payment_intent  text,
    customer_id     text,
    email           text,
    reason          text,
    event_id        text,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);
CREATE INDEX checkout_payments_payment_intent ON checkout_payments (payment_intent);
CREATE INDEX checkout_payments_status ON checkout_payments (status, created_at);
CREATE INDEX checkout_payments_email ON checkout_payments (email);

CREATE TABLE webhook_events (
    id              text PRIMARY KEY,
    type            text NOT NULL,
    livemode        integer,
    api_version     text,
    created         bigint,
    payload         text NOT NULL,
    status          text NOT NULL,
    user_id         text,
    credits_added   bigint NOT NULL DEFAULT 0,
    object_id       text,
    detail          text,
    error           text,
    attempts        integer NOT NULL DEFAULT 1,
    received_at     bigint NOT NULL,
    processed_at    bigint
);
CREATE INDEX webhook_events_received ON webhook_events (received_at DESC);
CREATE INDEX webhook_events_status ON webhook_events (status, received_at DESC);
