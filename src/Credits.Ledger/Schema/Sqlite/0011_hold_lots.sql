-- Holds reserve specific lots. credit_lots.held is what active holds reserve of a lot: spends,
-- transfers, reversals and the expiry sweep take only remaining - held, so a lot that expires under
-- an active hold keeps the held part capturable until the hold ends. hold_lots says which lots each
-- hold reserved. Invariants: credit_lots.held = sum(hold_lots.amount) of active holds on the lot;
-- accounts.held = sum(hold_lots.amount) of the account's active holds.
ALTER TABLE credit_lots ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= remaining);

CREATE TABLE hold_lots (
    hold_id     text NOT NULL REFERENCES holds (id),
    lot_id      bigint NOT NULL REFERENCES credit_lots (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    PRIMARY KEY (hold_id, lot_id)
);
CREATE INDEX hold_lots_lot ON hold_lots (lot_id);

-- The upgrade: each account's active holds (oldest first) take its lots in spend order, the
-- soonest expiry first, as if placed now: each hold covers an interval of the running sum of its
-- account's holds, each lot an interval of the running sum of its lots, and a hold reserves of a
-- lot what their intervals share.
INSERT INTO hold_lots (hold_id, lot_id, amount)
SELECT h.id, l.id,
       CASE WHEN h.upto < l.upto THEN h.upto ELSE l.upto END - CASE WHEN h.upto - h.credits > l.upto - l.remaining THEN h.upto - h.credits ELSE l.upto - l.remaining END
FROM (SELECT id, account_id, credits, SUM(credits) OVER (PARTITION BY account_id ORDER BY created_at, id) AS upto
      FROM holds WHERE status = 'active') h
JOIN (SELECT id, account_id, remaining,
             SUM(remaining) OVER (PARTITION BY account_id
                                  ORDER BY CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, CASE WHEN category = 'promotional' THEN 0 ELSE 1 END, created_at, id) AS upto
      FROM credit_lots WHERE remaining > 0) l ON l.account_id = h.account_id
WHERE CASE WHEN h.upto < l.upto THEN h.upto ELSE l.upto END > CASE WHEN h.upto - h.credits > l.upto - l.remaining THEN h.upto - h.credits ELSE l.upto - l.remaining END;

UPDATE credit_lots SET held = (SELECT SUM(amount) FROM hold_lots WHERE hold_lots.lot_id = credit_lots.id)
WHERE id IN (SELECT lot_id FROM hold_lots);
