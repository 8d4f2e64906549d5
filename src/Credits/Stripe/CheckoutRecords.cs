using Dapper;
using Credits.Ledger.Storage;

namespace Credits.Stripe;

/// <summary>
/// SQL over checkout_sessions: the sessions Credits created itself, with the account and credits
/// it created them for. Written once, before <c>POST /api/checkout/sessions</c> answers; never
/// changed afterwards, so reading one outside a transaction is safe.
/// </summary>
public static class CheckoutRecords
{
    private const string Columns = "session_id, account_id, pack_id, quantity, credits, created_at";

    public static Task WriteAsync(LedgerTransaction tx, CheckoutRecord record, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            $"""
            INSERT INTO checkout_sessions ({Columns})
            VALUES (@SessionId, @AccountId, @PackId, @Quantity, @Credits, @CreatedAt)
            ON CONFLICT (session_id) DO NOTHING
            """,
            record, cancellationToken);

    public static Task<CheckoutRecord?> GetAsync(LedgerTransaction tx, string sessionId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<CheckoutRecord>(
            $"SELECT {Columns} FROM checkout_sessions WHERE session_id = @sessionId", new { sessionId }, cancellationToken);

    public static Task<CheckoutRecord?> GetAsync(LedgerDatabase database, string sessionId, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<CheckoutRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM checkout_sessions WHERE session_id = @sessionId", new { sessionId }, cancellationToken: cancellationToken)), cancellationToken);
}

/// <summary>A row of checkout_sessions: signal R of the account chain, and the first step of the credits chain.</summary>
public sealed record CheckoutRecord
{
    public required string SessionId { get; init; }
    public required string AccountId { get; init; }
    public required string PackId { get; init; }
    public long Quantity { get; init; }
    public long Credits { get; init; }
    public long CreatedAt { get; init; }
}
