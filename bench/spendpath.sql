-- pgbench script: the one statement Credits runs on PostgreSQL for a spend (Spending.SpendInOneStatement
-- in src/Credits.Ledger/Spending.cs: take the credits from the account unless they are held, expired or
-- the key was used, write the ledger row, take them from the account's lots in spend order and name
-- those lots on the row, store the Idempotency-Key with its answer), in a transaction of its own: one
-- credit from one of 1,000 funded accounts, a fresh random key each time. Parameters Npgsql binds are
-- pgbench variables or expressions over them (typed with CAST, as Npgsql types them). Seed the
-- accounts once with bench/spendpath-seed.sql (one 10,000,000-credit lot each, as the load
-- generator's --spend funds them).
-- Usage: psql -f bench/spendpath-seed.sql <database with the Credits schema>
--        pgbench -n -M prepared -c 16 -j 2 -T 15 -f bench/spendpath.sql <database>
--        bench/hotpath-batch.sh 8 bench/spendpath.sql > /tmp/spend-x8.sql   # 8 spends per transaction
\set uid random(1, 1000)
\set n random(1, 9000000000000000000)
\set credits 1
\set now 1795785684495

BEGIN;
WITH moved AS (
    UPDATE accounts SET balance = balance - CAST(:credits AS bigint), updated_at = CAST(:now AS bigint)
    WHERE id = 'bench_sp_u' || CAST(:uid AS text) AND balance - held - CAST(COALESCE((SELECT SUM(l.remaining - l.held) FROM credit_lots l WHERE l.account_id = accounts.id AND l.unspent AND l.remaining > l.held AND l.expires_at <= CAST(:now AS bigint)), 0) AS bigint) >= CAST(:credits AS bigint) AND (balance, held, updated_at) = (SELECT a.balance, a.held, a.updated_at FROM accounts a WHERE a.id = 'bench_sp_u' || CAST(:uid AS text))
      AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE account_id = 'bench_sp_u' || CAST(:uid AS text) AND key = 'k' || CAST(:n AS text))
      AND NOT EXISTS (SELECT 1 FROM holds WHERE account_id = 'bench_sp_u' || CAST(:uid AS text) AND status = 'active' AND expires_at <= CAST(:now AS bigint))
    RETURNING balance, held),
entry AS (
    INSERT INTO ledger_entries (account_id, amount, kind, source_kind, source_id, reason, created_at)
    SELECT 'bench_sp_u' || CAST(:uid AS text), -CAST(:credits AS bigint), 'spend', 'spend', 'bench_sp_u' || CAST(:uid AS text) || chr(58) || 'k' || CAST(:n AS text), 'bench: one resume match', CAST(:now AS bigint) FROM moved
    RETURNING id),
walk AS (
    SELECT id, remaining - held AS free, SUM(remaining - held) OVER (ORDER BY CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, CASE WHEN category = 'promotional' THEN 0 ELSE 1 END, created_at, id) - (remaining - held) AS before
    FROM credit_lots
    WHERE account_id = 'bench_sp_u' || CAST(:uid AS text) AND unspent AND remaining > held AND (expires_at IS NULL OR expires_at > CAST(:now AS bigint))),
taken AS (
    UPDATE credit_lots SET remaining = credit_lots.remaining - LEAST(walk.free, CAST(:credits AS bigint) - walk.before)
    FROM walk, moved
    WHERE credit_lots.id = walk.id AND walk.before < CAST(:credits AS bigint)
    RETURNING credit_lots.id, LEAST(walk.free, CAST(:credits AS bigint) - walk.before) AS amount),
parts AS (
    INSERT INTO entry_lots (entry_id, lot_id, amount)
    SELECT entry.id, taken.id, -taken.amount FROM entry, taken),
claimed AS (
    INSERT INTO idempotency_keys (account_id, key, operation, request_hash, status_code, response, created_at)
    SELECT 'bench_sp_u' || CAST(:uid AS text), 'k' || CAST(:n AS text), 'spend', 'ac7bdf63aa82828f21b11d5277eea42e1fa3138d8bffc34e7c075b03c243b4de', 200,
           json_build_object('EntryId', entry.id, 'AccountId', 'bench_sp_u' || CAST(:uid AS text),
                             'Kind', 'spend', 'Credits', CAST(:credits AS bigint),
                             'Reason', 'bench: one resume match', 'Balance', moved.balance,
                             'Held', moved.held, 'CreatedAt', CAST(:now AS bigint))::text,
           CAST(:now AS bigint)
    FROM moved, entry)
SELECT entry.id AS entry_id, moved.balance, moved.held, EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled = 1) AS endpoints FROM moved, entry;
COMMIT;
