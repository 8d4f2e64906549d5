-- credits.expiring_soon: when the expiry sweep wrote a lot's one warning (unix ms), NULL until
-- then. The sweep sets it with UPDATE ... WHERE expiry_warned_at IS NULL under the account's row
-- lock, in the transaction that writes the outbox messages, so two sweeps meeting warn once.
-- No index of its own: the sweep finds candidates through credit_lots_due (remaining > 0, by
-- expires_at), and only the next seven days of lots are in range.
ALTER TABLE credit_lots ADD COLUMN expiry_warned_at bigint;
