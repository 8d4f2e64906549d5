// The reference bench/run.sh measures Credits against: the Stripe webhook handler a Node developer
// would write with Express, stripe-node and pg. Verify the signature on the raw body, then one
// transaction of three statements (claim the event id, add the credits to the account, write a
// ledger row), answer 200 after COMMIT; 400 for a bad signature or a body that is not an event.
// It has its own three-table schema, created at start in the database the PG* variables name.
// GET /api/users/:id ({"balance": n}, 404 when unknown) is the one read the load generator
// (bench/Credits.Bench) uses to verify every 2xx was credited exactly; GET /readyz answers 200
// once the schema exists.
//
// Environment: STRIPE_WEBHOOK_SECRET (required), PORT (default 3000), HOST (default 127.0.0.1),
// PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD (read by pg), NODE_REF_POOL (pool size, default 16).
'use strict';

const express = require('express');
const { Pool } = require('pg');
const Stripe = require('stripe');

const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secret) {
  console.error('Set STRIPE_WEBHOOK_SECRET to the whsec_ secret the events are signed with.');
  process.exit(2);
}
// constructEvent makes no API call; the key is only there because the client needs one.
const stripe = Stripe(process.env.STRIPE_SECRET_KEY || 'sk_test_node_reference_unused');
const pool = new Pool({ max: Number(process.env.NODE_REF_POOL || 16) });

const schema = `
CREATE TABLE IF NOT EXISTS ref_events (id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ref_accounts (id text PRIMARY KEY, balance bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ref_ledger (id bigserial PRIMARY KEY, account_id text NOT NULL, amount bigint NOT NULL,
  event_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`;

const app = express();
let ready = false;

app.get('/readyz', (req, res) => res.status(ready ? 200 : 503).send(ready ? 'ready' : 'starting'));

app.get('/api/users/:id', async (req, res) => {
  const { rows } = await pool.query('SELECT balance FROM ref_accounts WHERE id = $1', [req.params.id]);
  if (rows.length === 0) return res.status(404).json({ error: 'no such user' });
  res.json({ user_id: req.params.id, balance: Number(rows[0].balance) });
});

app.post('/webhooks/stripe', express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], secret);
  } catch (err) {
    return res.status(400).send(`Webhook Error: ${err.message}`);
  }
  if (event.type !== 'checkout.session.completed') return res.json({ received: true });

  const session = event.data.object;
  const userId = session.metadata && session.metadata.user_id;
  const credits = Number(session.metadata && session.metadata.credits);
  if (!userId || !Number.isSafeInteger(credits) || credits <= 0) {
    return res.status(400).send('checkout.session.completed without metadata.user_id and metadata.credits');
  }

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query('INSERT INTO ref_events (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [event.id]);
    if (claimed.rowCount === 1) {
      await client.query(
        `INSERT INTO ref_accounts (id, balance) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET balance = ref_accounts.balance + excluded.balance, updated_at = now()`,
        [userId, credits]);
      await client.query('INSERT INTO ref_ledger (account_id, amount, event_id) VALUES ($1, $2, $3)', [userId, credits, event.id]);
    }
    await client.query('COMMIT');
    res.json({ received: true });
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    console.error(err);
    res.status(500).send('database error');
  } finally {
    client.release();
  }
});

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
pool.query(schema).then(() => {
  app.listen(port, host, () => {
    ready = true;
    console.log(`node reference listening on http://${host}:${port}`);
  });
}).catch((err) => {
  console.error('could not create the schema:', err.message);
  process.exit(1);
});

process.on('SIGTERM', () => pool.end().finally(() => process.exit(0)));
