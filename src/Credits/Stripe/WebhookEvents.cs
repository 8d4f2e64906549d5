using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Stripe;

/// <summary>SQL over webhook_events. The event id is the primary key: the first committed delivery wins.</summary>
public static class WebhookEvents
{
    private const string Columns =
        "id, type, livemode, api_version, created, payload, status, user_id, credits_added, object_id, detail, error, attempts, received_at, processed_at";

    /// <summary>
    /// Records the event with its outcome in the caller's transaction. False when the id is already
    /// stored with a final outcome: the caller rolls back and answers <c>duplicate</c>. A stored
    /// <c>failed</c> row is overwritten, since failures are recorded to be retried.
    /// </summary>
    public static async Task<bool> TryStoreAsync(LedgerTransaction tx, StripeEvent evt, EventOutcome outcome, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            $"""
            INSERT INTO webhook_events ({Columns})
            VALUES (@Id, @Type, @livemode, @ApiVersion, @Created, @Payload, @Status, @UserId, @CreditsAdded, @objectId, @Detail, NULL, 1, @now, @now)
            ON CONFLICT (id) DO UPDATE SET
                status = excluded.status, user_id = excluded.user_id, credits_added = excluded.credits_added,
                object_id = excluded.object_id, detail = excluded.detail, error = NULL,
                attempts = webhook_events.attempts + 1, processed_at = excluded.processed_at
            WHERE webhook_events.status = 'failed'
            """,
            new
            {
                evt.Id, evt.Type, livemode = ToInteger(evt.Livemode), evt.ApiVersion, evt.Created, evt.Payload,
                outcome.Status, outcome.UserId, outcome.CreditsAdded, objectId = outcome.ObjectId ?? evt.ObjectId, outcome.Detail, now,
            },
            cancellationToken) == 1;

    /// <summary>
    /// Keeps a delivery whose processing threw, with the error, so an operator sees it and a
    /// retry or replay can finish it. Never overwrites a final outcome.
    /// </summary>
    public static Task RecordFailureAsync(LedgerTransaction tx, StripeEvent evt, string error, long now, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            $"""
            INSERT INTO webhook_events ({Columns})
            VALUES (@Id, @Type, @livemode, @ApiVersion, @Created, @Payload, 'failed', NULL, 0, @ObjectId, NULL, @error, 1, @now, NULL)
            ON CONFLICT (id) DO UPDATE SET error = excluded.error, attempts = webhook_events.attempts + 1
            WHERE webhook_events.status = 'failed'
            """,
            new { evt.Id, evt.Type, livemode = ToInteger(evt.Livemode), evt.ApiVersion, evt.Created, evt.Payload, evt.ObjectId, error, now },
            cancellationToken);

    /// <summary>A replay's outcome replaces the stored one unless it only found the work already done.</summary>
    public static Task RecordReplayAsync(LedgerTransaction tx, string id, EventOutcome outcome, long now, CancellationToken cancellationToken) =>
        outcome.Status == EventStatus.Duplicate
            ? tx.ExecuteAsync("UPDATE webhook_events SET attempts = attempts + 1, error = NULL WHERE id = @id", new { id }, cancellationToken)
            : tx.ExecuteAsync(
                """
                UPDATE webhook_events
                SET status = @Status, user_id = @UserId, credits_added = @CreditsAdded, detail = @Detail, error = NULL,
                    attempts = attempts + 1, processed_at = @now
                WHERE id = @id
                """,
                new { id, outcome.Status, outcome.UserId, outcome.CreditsAdded, outcome.Detail, now }, cancellationToken);

    /// <summary>Newest first, optionally filtered; <paramref name="after"/> is the last row of the previous page.</summary>
    public static Task<IReadOnlyList<StoredEvent>> ListAsync(
        LedgerDatabase database, string? status, string? type, (long At, string Id)? after, int limit, CancellationToken cancellationToken)
    {
        var filters = new List<string>();
        if (status is not null)
        {
            filters.Add("status = @status");
        }
        if (type is not null)
        {
            filters.Add("type = @type");
        }
        if (after is not null)
        {
            filters.Add("(received_at < @at OR (received_at = @at AND id < @id))");
        }
        var where = filters.Count == 0 ? "" : "WHERE " + string.Join(" AND ", filters);
        return database.QueryAsync<StoredEvent>(
            $"SELECT {Columns} FROM webhook_events {where} ORDER BY received_at DESC, id DESC LIMIT @limit",
            new { status, type, at = after?.At, id = after?.Id, limit }, cancellationToken);
    }

    public static Task<StoredEvent?> GetAsync(LedgerDatabase database, string id, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<StoredEvent>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_events WHERE id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken);

    private static int? ToInteger(bool? value) => value is null ? null : value.Value ? 1 : 0;
}
