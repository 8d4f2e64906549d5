using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Ledger.Webhooks;

/// <summary>The sender's side of the outbox: claiming due messages, recording attempts, listing and retrying.</summary>
public static partial class Outbox
{
    /// <summary>
    /// Due messages, oldest first, each the oldest undelivered one of its account and endpoint, so
    /// a message waits while an earlier one of its account is still pending. PostgreSQL skips rows
    /// another instance is claiming right now; the claim pushes next_attempt_at past the attempt
    /// (the lease), so no other instance picks a message up while it is in flight, and a process
    /// killed mid-attempt leaves it to be sent again once the lease runs out.
    /// </summary>
    internal const string DueSql =
        $"""
        SELECT m.seq, m.id, m.endpoint_id, m.account_id, m.event_type, m.payload, m.attempts, m.created_at, e.url, e.secret
        FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id
        WHERE m.status = '{MessageStatus.Pending}' AND m.next_attempt_at <= @now AND e.enabled = 1
          AND NOT EXISTS (
            SELECT 1 FROM webhook_messages o
            WHERE o.endpoint_id = m.endpoint_id AND o.account_id = m.account_id AND o.status = '{MessageStatus.Pending}' AND o.seq < m.seq)
        ORDER BY m.seq
        LIMIT @limit
        """;

    private const string DeliveryColumns =
        "m.id, m.endpoint_id, m.account_id, m.event_type, m.payload, m.status, m.attempts, m.next_attempt_at, m.last_status_code, m.last_error, m.created_at, m.delivered_at";

    public static async Task<IReadOnlyList<DueMessage>> ClaimAsync(LedgerDatabase database, long now, long leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var tx = await database.BeginAsync(cancellationToken);
        var sql = tx.Provider == DatabaseProvider.Postgres ? DueSql + "\nFOR UPDATE OF m SKIP LOCKED" : DueSql;
        var due = await tx.QueryAsync<DueMessage>(sql, new { now, limit }, cancellationToken);
        if (due.Count > 0)
        {
            // Dapper sends a list to PostgreSQL as one array parameter and expands it for SQLite.
            var seqIn = tx.Provider == DatabaseProvider.Postgres ? "= ANY(@seqs)" : "IN @seqs";
            await tx.ExecuteAsync($"UPDATE webhook_messages SET attempts = attempts + 1, next_attempt_at = @leaseUntil WHERE seq {seqIn}",
                new { leaseUntil, seqs = due.Select(m => m.Seq).ToArray() }, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return [.. due.Select(m => m with { Attempts = m.Attempts + 1 })];
    }

    public static Task DeliveredAsync(LedgerDatabase database, long seq, int statusCode, long now, CancellationToken cancellationToken) =>
        WriteAsync(database,
            $"UPDATE webhook_messages SET status = '{MessageStatus.Delivered}', delivered_at = @now, last_status_code = @statusCode, last_error = NULL WHERE seq = @seq",
            new { seq, statusCode, now }, cancellationToken);

    /// <summary>A failed attempt: next try at <paramref name="nextAttemptAt"/>, or null when the message has given up (failed).</summary>
    public static Task AttemptFailedAsync(
        LedgerDatabase database, long seq, int? statusCode, string error, long? nextAttemptAt, CancellationToken cancellationToken) =>
        WriteAsync(database,
            """
            UPDATE webhook_messages SET status = @status, next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at),
                last_status_code = @statusCode, last_error = @error
            WHERE seq = @seq
            """,
            new { seq, statusCode, error, nextAttemptAt, status = nextAttemptAt is null ? MessageStatus.Failed : MessageStatus.Pending }, cancellationToken);

    /// <summary>Sends a message again now, whatever its status; it keeps its webhook-id. False when there is no such message.</summary>
    public static async Task<bool> RetryAsync(LedgerDatabase database, string id, long now, CancellationToken cancellationToken)
    {
        await using var tx = await database.BeginAsync(cancellationToken);
        var changed = await tx.ExecuteAsync(
            $"UPDATE webhook_messages SET status = '{MessageStatus.Pending}', next_attempt_at = @now, delivered_at = NULL WHERE id = @id",
            new { id, now }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return changed == 1;
    }

    public static async Task<IReadOnlyList<Delivery>> ListAsync(
        LedgerDatabase database, string? status, string? endpointId, int limit, CancellationToken cancellationToken) =>
        [.. await database.ReadAsync(c => c.QueryAsync<Delivery>(new CommandDefinition(
            $"""
            SELECT {DeliveryColumns} FROM webhook_messages m
            WHERE (@status IS NULL OR m.status = @status) AND (@endpointId IS NULL OR m.endpoint_id = @endpointId)
            ORDER BY m.seq DESC
            LIMIT @limit
            """,
            new { status, endpointId, limit }, cancellationToken: cancellationToken)), cancellationToken)];

    public static Task<Delivery?> GetAsync(LedgerDatabase database, string id, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<Delivery>(new CommandDefinition(
            $"SELECT {DeliveryColumns} FROM webhook_messages m WHERE m.id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>When the oldest message still waiting was written (unix ms), or null when none waits; for the stuck-outbox gauge.</summary>
    public static Task<long?> OldestPendingAsync(LedgerDatabase database, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.ExecuteScalarAsync<long?>(new CommandDefinition(OldestPendingSql, cancellationToken: cancellationToken)), cancellationToken);

    internal const string OldestPendingSql = $"SELECT MIN(created_at) FROM webhook_messages WHERE status = '{MessageStatus.Pending}'";

    /// <summary>A ping for one endpoint (<c>credits webhooks test</c>). Null when the endpoint does not exist.</summary>
    public static async Task<string?> EnqueuePingAsync(LedgerDatabase database, string endpointId, long now, CancellationToken cancellationToken)
    {
        var id = $"{NewId()}_{endpointId}";
        var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(now).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        await using var tx = await database.BeginAsync(cancellationToken);
        var written = await tx.ExecuteAsync(
            $"""
            INSERT INTO webhook_messages ({MessageColumns})
            SELECT @id, e.id, NULL, '{WebhookEventTypes.Ping}', @payload, '{MessageStatus.Pending}', 0, @now, @now
            FROM webhook_endpoints e WHERE e.id = @endpointId
            """,
            new { id, endpointId, now, payload = Body(WebhookEventTypes.Ping, timestamp, $"{{\"endpoint_id\":{System.Text.Json.JsonSerializer.Serialize(endpointId)}}}") },
            cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return written == 1 ? id : null;
    }

    private static async Task WriteAsync(LedgerDatabase database, string sql, object args, CancellationToken cancellationToken)
    {
        await using var tx = await database.BeginAsync(cancellationToken);
        await tx.ExecuteAsync(sql, args, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}

/// <summary>A claimed message with where it goes; <see cref="Attempts"/> counts this attempt.</summary>
public sealed record DueMessage
{
    public long Seq { get; init; }
    public required string Id { get; init; }
    public required string EndpointId { get; init; }
    public string? AccountId { get; init; }
    public required string EventType { get; init; }
    public required string Payload { get; init; }
    public long Attempts { get; init; }
    public long CreatedAt { get; init; }
    public required string Url { get; init; }
    public required string Secret { get; init; }
}

/// <summary>A message as the API lists it. Times are unix milliseconds.</summary>
public sealed record Delivery
{
    public required string Id { get; init; }
    public required string EndpointId { get; init; }
    public string? AccountId { get; init; }
    public required string EventType { get; init; }
    public required string Payload { get; init; }
    public required string Status { get; init; }
    public long Attempts { get; init; }
    public long NextAttemptAt { get; init; }
    public long? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    public long CreatedAt { get; init; }
    public long? DeliveredAt { get; init; }
}
