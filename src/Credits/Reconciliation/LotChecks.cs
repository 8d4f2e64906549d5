using Credits.Ledger;

namespace Credits.Reconciliation;

/// <summary>The credit-lot invariants <c>credits verify</c> checks beside the ledger ones (docs/guarantees.md).</summary>
internal static class LotChecks
{
    public static IReadOnlyList<LedgerCheck> All { get; } =
    [
        LedgerVerifier.Sql<LotSumRow>("lot balances", "every account's balance equals the sum of its lots' remainders minus its debt",
            """
            SELECT a.id, a.balance, a.debt, CAST(COALESCE(SUM(l.remaining), 0) AS bigint) AS remaining
            FROM accounts a LEFT JOIN credit_lots l ON l.account_id = a.id
            GROUP BY a.id, a.balance, a.debt
            HAVING a.balance <> COALESCE(SUM(l.remaining), 0) - a.debt
            """,
            row => $"account {row.Id} has balance {row.Balance} but its lots hold {row.Remaining} and its debt is {row.Debt}"),
        LedgerVerifier.Sql<LotBoundsRow>("lot bounds", "no lot's remainder is negative or above what it granted, and every ledger row's lot parts match the lots",
            """
            SELECT l.id, l.account_id, l.granted, l.remaining, CAST(COALESCE(SUM(p.amount), 0) AS bigint) AS parts
            FROM credit_lots l LEFT JOIN entry_lots p ON p.lot_id = l.id
            GROUP BY l.id, l.account_id, l.granted, l.remaining, l.source_kind
            HAVING l.remaining < 0 OR l.remaining > l.granted
                OR l.remaining <> CASE WHEN l.source_kind = 'upgrade' THEN l.granted ELSE 0 END + COALESCE(SUM(p.amount), 0)
            """,
            row => $"lot {row.Id} of account {row.AccountId} granted {row.Granted} and has {row.Remaining} left, but its ledger parts sum to {row.Parts}"),
        LedgerVerifier.Sql<ExpiryRow>("lot expiry", "every expired lot's remainder is booked by expiry rows, each lot's once",
            """
            SELECT l.id, l.account_id, CAST(l.remaining - l.held AS bigint) AS remaining, COUNT(e.id) AS rows_found
            FROM credit_lots l
            LEFT JOIN ledger_entries e ON e.source_kind = @expiry AND e.source_id = CAST(l.id AS text)
            WHERE l.expires_at IS NOT NULL AND l.expires_at <= @now
            GROUP BY l.id, l.account_id, l.remaining, l.held
            HAVING COUNT(e.id) > 1 OR (l.remaining > l.held AND l.expires_at <= @now - @grace)
            """,
            row => row.RowsFound > 1
                ? $"lot {row.Id} of account {row.AccountId} has {row.RowsFound} expiry rows"
                : $"lot {row.Id} of account {row.AccountId} expired over an hour ago with {row.Remaining} credits not booked as expired (run credits expire)"),
        LedgerVerifier.Sql<HeldLotRow>("held lots", "no lot has more held than left, and each lot's held is what active holds reserved of it",
            """
            SELECT l.id, l.account_id, l.remaining, l.held, CAST(COALESCE(SUM(hl.amount), 0) AS bigint) AS reserved
            FROM credit_lots l
            LEFT JOIN hold_lots hl ON hl.lot_id = l.id AND EXISTS (SELECT 1 FROM holds h WHERE h.id = hl.hold_id AND h.status = 'active')
            GROUP BY l.id, l.account_id, l.remaining, l.held
            HAVING l.held < 0 OR l.held > l.remaining OR l.held <> COALESCE(SUM(hl.amount), 0)
            """,
            row => $"lot {row.Id} of account {row.AccountId} has {row.Remaining} left and {row.Held} held, but active holds reserve {row.Reserved} of it"),
        LedgerVerifier.Sql<HeldRow>("held accounts", "every account's held credits are what its active holds reserved of its lots",
            """
            SELECT a.id, a.held, CAST(COALESCE(r.reserved, 0) AS bigint) AS reserved
            FROM accounts a
            LEFT JOIN (SELECT h.account_id, SUM(hl.amount) AS reserved FROM hold_lots hl JOIN holds h ON h.id = hl.hold_id
                       WHERE h.status = 'active' GROUP BY h.account_id) r ON r.account_id = a.id
            WHERE a.held <> COALESCE(r.reserved, 0)
            """,
            row => $"account {row.Id} holds {row.Held} credits but its active holds reserve {row.Reserved} of its lots"),
    ];

    private sealed record LotSumRow
    {
        public string Id { get; init; } = "";
        public long Balance { get; init; }
        public long Debt { get; init; }
        public long Remaining { get; init; }
    }

    private sealed record LotBoundsRow
    {
        public long Id { get; init; }
        public string AccountId { get; init; } = "";
        public long Granted { get; init; }
        public long Remaining { get; init; }
        public long Parts { get; init; }
    }

    private sealed record ExpiryRow
    {
        public long Id { get; init; }
        public string AccountId { get; init; } = "";
        public long Remaining { get; init; }
        public long RowsFound { get; init; }
    }

    private sealed record HeldLotRow
    {
        public long Id { get; init; }
        public string AccountId { get; init; } = "";
        public long Remaining { get; init; }
        public long Held { get; init; }
        public long Reserved { get; init; }
    }

    private sealed record HeldRow
    {
        public string Id { get; init; } = "";
        public long Held { get; init; }
        public long Reserved { get; init; }
    }
}
