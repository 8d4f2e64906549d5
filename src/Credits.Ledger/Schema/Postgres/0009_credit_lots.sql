-- Credit lots. Every grant (purchase, manual grant, transfer in, reassignment in) creates a lot;
-- spends and captures take from lots in spend order, and each ledger row names the lots it
-- touched in entry_lots. Invariant: accounts.balance = sum(credit_lots.remaining) - accounts.debt.
-- Debt is what a refund, dispute or reassignment could not take back; the next grant pays it first.
ALTER TABLE accounts ADD COLUMN debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0);

CREATE TABLE credit_lots (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id),
    category    text NOT NULL CHECK (category IN ('paid', 'promotional')),
    source_kind text NOT NULL,
    source_id   text NOT NULL,
    granted     bigint NOT NULL CHECK (granted >= 0),
    remaining   bigint NOT NULL CHECK (remaining >= 0 AND remaining <= granted),
    expires_at  bigint,
    created_at  bigint NOT NULL
);
-- Spend order within an account: soonest expiry first (none last), promotional before paid, oldest first.
CREATE INDEX credit_lots_account ON credit_lots (account_id, expires_at, category, created_at) WHERE remaining > 0;
CREATE INDEX credit_lots_source ON credit_lots (source_kind, source_id);
CREATE INDEX credit_lots_due ON credit_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Which lots a ledger row took from (negative) or added to (positive). A row's amount minus the
-- sum of its parts is what it moved in debt.
CREATE TABLE entry_lots (
    entry_id    bigint NOT NULL REFERENCES ledger_entries (id),
    lot_id      bigint NOT NULL REFERENCES credit_lots (id),
    amount      bigint NOT NULL,
    PRIMARY KEY (entry_id, lot_id)
);
CREATE INDEX entry_lots_lot ON entry_lots (lot_id);

-- The upgrade: an account's positive balance becomes one paid lot without expiry, a negative one debt.
UPDATE accounts SET debt = -balance WHERE balance < 0;
INSERT INTO credit_lots (account_id, category, source_kind, source_id, granted, remaining, expires_at, created_at)
SELECT id, 'paid', 'upgrade', id, balance, balance, NULL, updated_at FROM accounts WHERE balance > 0;
