-- Refunds and disputes: one row per reversal step, keyed like its ledger row, linked to the
-- purchase by payment_intent. status 'pending' holds a reversal whose purchase has not arrived.
CREATE TABLE payment_reversals (
    source_kind     text NOT NULL,
    source_id       text NOT NULL,
    payment_intent  text NOT NULL,
    status          text NOT NULL,
    session_id      text,
    account_id      text,
    credits         bigint NOT NULL DEFAULT 0,
    amount          bigint,
    charge_amount   bigint,
    currency        text,
    event_id        text NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (source_kind, source_id)
);
CREATE INDEX payment_reversals_payment_intent ON payment_reversals (payment_intent, status);

-- One row per payment intent we have heard of. Purchases and reversals of one payment take
-- this row's lock first, so a refund racing its purchase is applied by whichever commits last.
CREATE TABLE payment_intent_locks (
    payment_intent  text PRIMARY KEY,
    touched_at      bigint NOT NULL
);
