using Dapper;
using Credits.Ledger.Storage;

namespace Credits.Stripe;

/// <summary>
/// SQL over checkout_payments. The session id is the primary key, so whichever event, page or
/// reconciliation gets there first decides, and the others see the row it left.
/// </summary>
public static class CheckoutPayments
{
    /// <summary>The columns a granted session is written with (<see cref="OneStatementGrant"/>); the rest keep their defaults.</summary>
    internal const string GrantedColumns =
        "session_id, status, account_id, credits, amount_total, currency, payment_intent, customer_id, email, reason, event_id, created_at, updated_at";

    private const string Columns = GrantedColumns + ", reason_code, candidates";

    /// <summary>The states a session may be (re)written from when it is granted.</summary>
    internal const string GrantableStatuses = $"'{PaymentStatus.Pending}', '{PaymentStatus.Unmatched}'";

    /// <summary>What writing a session over an existing row sets (the conflict's SET list); <see cref="OneStatementGrant"/> uses it too.</summary>
    internal const string Replace = """
        status = excluded.status, account_id = excluded.account_id, credits = excluded.credits,
        amount_total = excluded.amount_total, currency = excluded.currency,
        payment_intent = COALESCE(excluded.payment_intent, checkout_payments.payment_intent),
        customer_id = COALESCE(excluded.customer_id, checkout_payments.customer_id),
        email = COALESCE(excluded.email, checkout_payments.email),
        reason = excluded.reason, event_id = excluded.event_id, updated_at = excluded.updated_at,
        reason_code = excluded.reason_code, candidates = excluded.candidates
        """;

    /// <summary>
    /// Writes the session in <paramref name="status"/> unless it already exists in a state that
    /// <paramref name="replaces"/> does not list. True when this call wrote it. A parked payment
    /// passes its <paramref name="parked"/> resolution for the reason code and candidates.
    /// </summary>
    public static async Task<bool> TryWriteAsync(
        LedgerTransaction tx, CheckoutSession session, string status, string? accountId, long? credits, string? reason,
        string eventId, long now, string[] replaces, Resolution? parked, CancellationToken cancellationToken)
    {
        var onConflict = replaces.Length == 0 ? "DO NOTHING" : $"""
            DO UPDATE SET {Replace}
            WHERE checkout_payments.status IN ({InList(replaces)})
            """;
        var sql = $"""
            INSERT INTO checkout_payments ({Columns})
            VALUES (@Id, @status, @accountId, @credits, @AmountTotal, @Currency, @PaymentIntent, @Customer, @email, @reason, @eventId, @now, @now,
                    @reasonCode, @candidates)
            ON CONFLICT (session_id) {onConflict}
            """;
        var written = await tx.ExecuteAsync(sql, new
        {
            session.Id, status, accountId, credits, session.AmountTotal, session.Currency, session.PaymentIntent, session.Customer,
            email = Ledger.AccountIds.NormalizeEmail(session.Email), reason, eventId, now,
            reasonCode = parked?.ReasonCode, candidates = parked is null ? null : CandidateList.Write(parked.Candidates),
        }, cancellationToken);
        return written == 1;
    }

    /// <summary>Moves a session from one of <paramref name="from"/> to <paramref name="to"/>; true when it moved.</summary>
    public static async Task<bool> TransitionAsync(
        LedgerTransaction tx, string sessionId, string[] from, string to, string? reason, string eventId, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            $"""
            UPDATE checkout_payments SET status = @to, reason = @reason, event_id = @eventId, updated_at = @now
            WHERE session_id = @sessionId AND status IN ({InList(from)})
            """,
            new { sessionId, to, reason, eventId, now }, cancellationToken) == 1;

    /// <summary>unmatched → granted for an operator's choice of account; false when it was not unmatched.</summary>
    public static async Task<bool> AssignAsync(
        LedgerTransaction tx, string sessionId, string accountId, long credits, string source, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            """
            UPDATE checkout_payments
            SET status = 'granted', account_id = @accountId, credits = @credits, reason = NULL, event_id = @source, updated_at = @now,
                reason_code = NULL, candidates = NULL
            WHERE session_id = @sessionId AND status = 'unmatched'
            """,
            new { sessionId, accountId, credits, source, now }, cancellationToken) == 1;

    public static async Task<IReadOnlyList<CheckoutPayment>> ListAsync(
        LedgerDatabase database, string status, string? email, int limit, CancellationToken cancellationToken) =>
        [.. await database.ReadAsync(c => c.QueryAsync<CheckoutPayment>(new CommandDefinition(
            ListSql(byEmail: email is not null), new { status, email, limit }, cancellationToken: cancellationToken)), cancellationToken)];

    /// <summary>The parked-payments queue and the claim by email (ListQueryPlanTests checks their plans).</summary>
    internal static string ListSql(bool byEmail) =>
        $"""
        SELECT {Columns} FROM checkout_payments
        WHERE status = @status {(byEmail ? "AND email = @email" : "")}
        ORDER BY created_at DESC, session_id
        LIMIT @limit
        """;

    public static Task<CheckoutPayment?> GetAsync(LedgerDatabase database, string sessionId, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<CheckoutPayment>(new CommandDefinition(
            $"SELECT {Columns} FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }, cancellationToken: cancellationToken)), cancellationToken);

    public static Task<CheckoutPayment?> GetAsync(LedgerTransaction tx, string sessionId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<CheckoutPayment>(
            $"SELECT {Columns} FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }, cancellationToken);

    /// <summary>The account an earlier purchase linked to this Stripe customer.</summary>
    public static Task<string?> AccountForCustomerAsync(LedgerTransaction tx, string customerId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<string>(
            "SELECT account_id FROM stripe_customers WHERE customer_id = @customerId", new { customerId }, cancellationToken);

    public static Task LinkCustomerAsync(LedgerTransaction tx, string customerId, string accountId, long now, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            """
            INSERT INTO stripe_customers (customer_id, account_id, created_at) VALUES (@customerId, @accountId, @now)
            ON CONFLICT (customer_id) DO NOTHING
            """,
            new { customerId, accountId, now }, cancellationToken);

    // Status names are our own constants, never input, so they are safe to inline.
    private static string InList(string[] statuses) => string.Join(", ", statuses.Select(s => $"'{s}'"));
}
