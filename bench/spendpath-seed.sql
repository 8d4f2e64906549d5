-- The 1,000 accounts bench/spendpath.sql spends from: bench_sp_u1 … bench_sp_u1000, each with one
-- paid, non-expiring lot of 10,000,000 credits and the balance to match.
-- Usage: psql -f bench/spendpath-seed.sql <database with the Credits schema>
INSERT INTO accounts (id, email, balance, created_at, updated_at)
SELECT 'bench_sp_u' || i, 'bench_sp_u' || i || '@example.com', 10000000, 1795785600000, 1795785600000
FROM generate_series(1, 1000) i;
INSERT INTO credit_lots (account_id, category, source_kind, source_id, granted, remaining, expires_at, created_at)
SELECT 'bench_sp_u' || i, 'paid', 'seed', 'seed_' || i, 10000000, 10000000, NULL, 1795785600000
FROM generate_series(1, 1000) i;
ANALYZE accounts;
ANALYZE credit_lots;
