-- Outbound webhooks. An endpoint is where the platform wants to hear about changes; Outbox
-- writes one message per enabled endpoint and change in the transaction of the change (an
-- INSERT ... SELECT FROM webhook_endpoints: no endpoint, no row), so a rolled-back change
-- sends nothing and a committed one is never lost. WebhookSender delivers them.
CREATE TABLE webhook_endpoints (
    id                      text PRIMARY KEY,
    url                     text NOT NULL,
    secret                  text NOT NULL,
    -- NULL: every event type; else the types wrapped in commas (',credits.granted,balance.low,').
    event_types             text,
    low_balance_threshold   bigint,
    enabled                 integer NOT NULL DEFAULT 1,
    disabled_reason         text,
    created_at              bigint NOT NULL
);

-- One message to one endpoint. seq is the commit order per account (the change locked the
-- account row before inserting); id is the webhook-id, the same on every attempt.
CREATE TABLE webhook_messages (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  text NOT NULL UNIQUE,
    endpoint_id         text NOT NULL,
    account_id          text,
    event_type          text NOT NULL,
    payload             text NOT NULL,
    status              text NOT NULL,
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     bigint NOT NULL,
    last_status_code    integer,
    last_error          text,
    created_at          bigint NOT NULL,
    delivered_at        bigint
);
CREATE INDEX webhook_messages_due ON webhook_messages (status, next_attempt_at);
CREATE INDEX webhook_messages_order ON webhook_messages (endpoint_id, account_id, status, seq);
