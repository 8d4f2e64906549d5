using Credits.Ledger.Storage;
using Credits.Stripe;
using Dapper;

namespace Credits.Reconciliation;

/// <summary>
/// The invariants behind SPEC §6, checked over the whole database by <c>credits verify</c>.
/// Each is a named <see cref="LedgerCheck"/>; adding one is adding an entry to <see cref="Checks"/>.
/// </summary>
public sealed class LedgerVerifier(LedgerDatabase database)
{
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
            HAVING COUNT(e.id) <> 1 OR COALESCE(SUM(e.amount), 0) <> p.credits OR MIN(e.account_id) <> p.account_id
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
    ];

    public async Task<IReadOnlyList<LedgerCheckResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<LedgerCheckResult>();
        foreach (var check in Checks)
        {
            var problems = await database.ReadAsync(c => check.FindProblemsAsync(c, cancellationToken), cancellationToken);
            results.Add(new LedgerCheckResult(check, problems));
        }
        return results;
    }

    private static LedgerCheck Sql<T>(string name, string description, string sql, Func<T, string> describe) =>
        new(name, description, async (connection, cancellationToken) =>
        {
            var rows = await connection.QueryAsync<T>(new CommandDefinition(
                $"SELECT * FROM ({sql}) AS found ORDER BY 1 LIMIT {MaxListed + 1}", new { kind = CheckoutFulfillment.SourceKind }, cancellationToken: cancellationToken));
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
