-- The source id of a keyed movement was account:key, so account 'a:b' with key 'c' and account 'a'
-- with key 'b:c' both made 'a:b:c'. Since this script the account part escapes '%' as '%25' and
-- ':' as '%3A' (Spending.SourceId), so the first ':' ends it. Only rows whose account id holds one
-- of those characters change; rows already in the new form do not start with account_id || ':',
-- so running this again changes nothing.
--
-- A transfer's two rows share the sending account's source id; the receiving row (transfer_in)
-- finds the sender on its transfer_out twin, so it is rewritten first, while both still match.
UPDATE ledger_entries
SET source_id = (
    SELECT replace(replace(o.account_id, '%', '%25'), ':', '%3A') || substr(ledger_entries.source_id, length(o.account_id) + 1)
    FROM ledger_entries o
    WHERE o.source_kind = 'transfer_out' AND o.source_id = ledger_entries.source_id)
WHERE source_kind = 'transfer_in'
  AND EXISTS (
    SELECT 1 FROM ledger_entries o
    WHERE o.source_kind = 'transfer_out' AND o.source_id = ledger_entries.source_id
      AND replace(replace(o.account_id, '%', '%25'), ':', '%3A') <> o.account_id
      AND substr(o.source_id, 1, length(o.account_id) + 1) = o.account_id || ':');

UPDATE ledger_entries
SET source_id = replace(replace(account_id, '%', '%25'), ':', '%3A') || substr(source_id, length(account_id) + 1)
WHERE source_kind IN ('spend', 'grant', 'transfer_out')
  AND replace(replace(account_id, '%', '%25'), ':', '%3A') <> account_id
  AND substr(source_id, 1, length(account_id) + 1) = account_id || ':';
