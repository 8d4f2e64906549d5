using System.Data.Common;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Stripe;
using Dapper;

namespace Credits.Reconciliation;

/// <summary>
/// The ledger invariants of docs/guarantees.md (§1 and §3), checked over the whole database by <c>credits verify</c>.
/// Each is a named <see cref="LedgerCheck"/>; adding one is adding an entry to <see cref="Checks"/>.
/// </summary>
public sealed class LedgerVerifier(LedgerDatabase database, TimeProvider? time = null)
{
    /// <summary>An expired lot's remainder may wait this long for the sweep before verify reports it.</summary>
    public const long ExpiryGraceMs = 3_600_000;

    /// <summary>At most this many violations are listed per check; the count says if there were more.</summary>
    public const int MaxListed = 100;

    public static IReadOnlyList<LedgerCheck> Checks { get; } =
    [
        Sql<BalanceRow>("balances", "every account's balance equals the sum of its ledger entries",
            """
            SELECT a.id, a.balance, CAST(COALESCE(SUM(e.amount), 0) AS bigint) AS ledger_sum
            FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
            GROUP BY a.id, a.balance
            HAVING a.balance <> COALESCE(SUM(e.amount), 0)
            """,
            row => $"account {row.Id} has balance {row.Balance} but its ledger entries sum to {row.LedgerSum}"),
        Sql<GrantRow>("checkout grants", "every granted Checkout Session has exactly one grant row of its credits, to its account",
            """
            SELECT p.session_id, p.status, p.account_id, p.credits, COUNT(e.id) AS grants,
                   CAST(COALESCE(SUM(e.amount), 0) AS bigint) AS granted, MIN(e.account_id) AS granted_to
            FROM checkout_payments p
            LEFT JOIN ledger_entries e ON e.source_kind = @kind AND e.source_id = p.session_id
            WHERE p.status = 'granted'
            GROUP BY p.session_id, p.status, p.account_id, p.credits
            HAVING COUNT(e.id) <> 1 OR COALESCE(SUM(e.amount), 0) <> p.credits
                OR MIN(e.account_id) <> p.account_id AND NOT EXISTS (SELECT 1 FROM payment_reassignments m WHERE m.session_id = p.session_id)
            UNION ALL
            SELECT e.source_id, COALESCE(p.status, 'unknown'), p.account_id, p.credits, 1, e.amount, e.account_id
            FROM ledger_entries e
            LEFT JOIN checkout_payments p ON p.session_id = e.source_id
            WHERE e.source_kind = @kind AND (p.status IS NULL OR p.status <> 'granted')
            """,
            row => row.Status != PaymentStatus.Granted
                ? $"session {row.SessionId} has a grant of {row.Granted} to {row.GrantedTo} but its payment is {row.Status}"
                : $"session {row.SessionId} is granted {row.Credits} credits to {row.AccountId} but has {row.Grants} grant rows " +
                  $"totalling {row.Granted}{(row.GrantedTo is { } to && to != row.AccountId ? $" to {to}" : "")}"),
        Sql<ReversalRow>("reversals", "refunds and disputes never take back more than their purchase granted, and each is in the ledger",
            """
            SELECT r.session_id, MAX(p.credits) AS credits, CAST(SUM(r.credits) AS bigint) AS net,
                   CAST(SUM(COALESCE(e.amount, 0)) AS bigint) AS posted
            FROM payment_reversals r
            JOIN checkout_payments p ON p.session_id = r.session_id
            LEFT JOIN ledger_entries e ON e.source_kind = r.source_kind AND e.source_id = r.source_id
            WHERE r.status = 'applied'
            GROUP BY r.session_id
            HAVING -SUM(r.credits) > MAX(p.credits) OR SUM(r.credits) > 0 OR SUM(r.credits) <> SUM(COALESCE(e.amount, 0))
            """,
            row => $"session {row.SessionId}: reversals net {row.Net} against a grant of {row.Credits} (ledger rows total {row.Posted})"),
        Sql<PairRow>("move pairs", "every reassignment and transfer is an out row and an in row that add to zero",
            """
            SELECT e.source_id, MIN(e.source_kind) AS kind, COUNT(*) AS row_count, CAST(SUM(e.amount) AS bigint) AS net
            FROM ledger_entries e
            WHERE e.source_kind IN (@reassignOut, @reassignIn)
            GROUP BY e.source_id
            HAVING COUNT(*) <> 2 OR SUM(e.amount) <> 0 OR MIN(e.source_kind) = MAX(e.source_kind)
            UNION ALL
            SELECT e.source_id, MIN(e.source_kind), COUNT(*), CAST(SUM(e.amount) AS bigint)
            FROM ledger_entries e
            WHERE e.source_kind IN (@transferOut, @transferIn)
            GROUP BY e.source_id
            HAVING COUNT(*) <> 2 OR SUM(e.amount) <> 0 OR MIN(e.source_kind) = MAX(e.source_kind)
            """,
            row => $"{row.Kind} {row.SourceId} has {row.RowCount} ledger rows netting {row.Net} instead of an out and an in row netting 0"),
        Sql<OwnerRow>("purchase owners", "every granted session's remaining credits sit on the account that owns it now",
            """
            SELECT p.session_id, p.account_id, CAST(p.credits + COALESCE(MAX(rv.net), 0) AS bigint) AS remaining,
                   CAST(COALESCE(SUM(CASE WHEN t.account_id = p.account_id THEN t.amount ELSE 0 END), 0) AS bigint) AS on_owner,
                   CAST(COALESCE(SUM(CASE WHEN t.account_id <> p.account_id THEN t.amount ELSE 0 END), 0) AS bigint) AS elsewhere
            FROM checkout_payments p
            LEFT JOIN (SELECT session_id, SUM(credits) AS net FROM payment_reversals WHERE status = 'applied' GROUP BY session_id) rv
                ON rv.session_id = p.session_id
            LEFT JOIN (
                SELECT e.source_id AS session_id, e.account_id, e.amount FROM ledger_entries e WHERE e.source_kind = @kind
                UNION ALL
                SELECT r.session_id, e.account_id, e.amount FROM payment_reversals r
                JOIN ledger_entries e ON e.source_kind = r.source_kind AND e.source_id = r.source_id
                WHERE r.status = 'applied'
                UNION ALL
                SELECT m.session_id, e.account_id, e.amount FROM payment_reassignments m
                JOIN ledger_entries e ON e.source_id = m.source_id AND e.source_kind IN (@reassignOut, @reassignIn)
            ) t ON t.session_id = p.session_id
            WHERE p.status = 'granted'
            GROUP BY p.session_id, p.account_id, p.credits
            HAVING COALESCE(SUM(CASE WHEN t.account_id = p.account_id THEN t.amount ELSE 0 END), 0) <> p.credits + COALESCE(MAX(rv.net), 0)
                OR COALESCE(SUM(CASE WHEN t.account_id <> p.account_id THEN t.amount ELSE 0 END), 0) <> 0
            """,
            row => $"session {row.SessionId} belongs to {row.AccountId} with {row.Remaining} credits left, " +
                   $"but its ledger rows leave {row.OnOwner} there and {row.Elsewhere} on other accounts"),
        .. LotChecks.All,
    ];

    public async Task<IReadOnlyList<LedgerCheckResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<LedgerCheckResult>();
        foreach (var check in Checks)
        {
            var now = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
            var problems = await database.ReadAsync(c => check.FindProblemsAsync(c, now, cancellationToken), cancellationToken);
            results.Add(new LedgerCheckResult(check, problems));
        }
        return results;
    }

    internal static LedgerCheck Sql<T>(string name, string description, string sql, Func<T, string> describe) =>
        new(name, description, async (connection, now, cancellationToken) =>
        {
            var rows = await connection.QueryAsync<T>(new CommandDefinition(
                $"SELECT * FROM ({sql}) AS found ORDER BY 1 LIMIT {MaxListed + 1}", new
                {
                    kind = CheckoutFulfillment.SourceKind,
                    reassignOut = PaymentReassignments.OutKind, reassignIn = PaymentReassignments.InKind,
                    transferOut = Ledger.Transfers.OutKind, transferIn = Ledger.Transfers.InKind,
                    expiry = LotExpiry.Kind, now, grace = ExpiryGraceMs,
                }, cancellationToken: cancellationToken));
            return [.. rows.Select(describe)];
        });

    private sealed record BalanceRow
    {
        public string Id { get; init; } = "";
        public long Balance { get; init; }
        public long LedgerSum { get; init; }
    }

    private sealed record ReversalRow
    {
        public string SessionId { get; init; } = "";
        public long? Credits { get; init; }
        public long Net { get; init; }
        public long Posted { get; init; }
    }

    private sealed record PairRow
    {
        public string SourceId { get; init; } = "";
        public string Kind { get; init; } = "";
        public long RowCount { get; init; }
        public long Net { get; init; }
    }

    private sealed record OwnerRow
    {
        public string SessionId { get; init; } = "";
        public string? AccountId { get; init; }
        public long Remaining { get; init; }
        public long OnOwner { get; init; }
        public long Elsewhere { get; init; }
    }

    private sealed record GrantRow
    {
        public string SessionId { get; init; } = "";
        public string Status { get; init; } = "";
        public string? AccountId { get; init; }
        public long? Credits { get; init; }
        public long Grants { get; init; }
        public long Granted { get; init; }
        public string? GrantedTo { get; init; }
    }
}

/// <summary>One named invariant of <c>credits verify</c>: finds its violations as sentences; none means it holds.</summary>
public sealed record LedgerCheck(string Name, string Description, Func<DbConnection, long, CancellationToken, Task<IReadOnlyList<string>>> FindProblemsAsync);

public sealed record LedgerCheckResult(LedgerCheck Check, IReadOnlyList<string> Problems)
{
    public bool Holds => Problems.Count == 0;
}
