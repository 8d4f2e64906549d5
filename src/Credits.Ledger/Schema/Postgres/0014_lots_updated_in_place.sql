-- Spends take from a lot by updating its remaining. While the lot indexes were partial on
-- remaining > 0, every such UPDATE changed an indexed column, so PostgreSQL wrote a new entry
-- into each of the table's indexes. Now they are partial on unspent, a column computed from
-- remaining that changes only when a lot is used up (or, rarely, given back), and no index names
-- remaining or held: a spend updates the lot in place (a heap-only tuple update, no index entry;
-- LotIndexTests counts them). Every query that wants the lot indexes names unspent.
ALTER TABLE credit_lots ADD COLUMN unspent boolean GENERATED ALWAYS AS (remaining > 0) STORED;
-- Room on each page for the updated versions of its lots.
ALTER TABLE credit_lots SET (fillfactor = 90);

-- Spend order within an account: soonest expiry first (none last), promotional before paid, oldest first.
DROP INDEX credit_lots_account;
CREATE INDEX credit_lots_account ON credit_lots (account_id, expires_at, category, created_at) WHERE unspent;
DROP INDEX credit_lots_due;
CREATE INDEX credit_lots_due ON credit_lots (expires_at) WHERE unspent AND expires_at IS NOT NULL;
-- The one lookup by source is an account's own lot of a purchase (a won dispute restores into
-- it, spent or not); no query names source_kind.
DROP INDEX credit_lots_source;
CREATE INDEX credit_lots_source ON credit_lots (source_id, account_id);
