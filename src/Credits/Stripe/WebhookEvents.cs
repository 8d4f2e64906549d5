using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Stripe;

/// <summary>SQL over webhook_events. The event id is the primary key: the first committed delivery wins.</summary>
public static class WebhookEvents
{
    /// <summary>The columns of webhook_events, in the order every INSERT lists them (<see cref="OneStatementGrant"/> too).</summary>
    internal const string Columns =
        "id, type, livemode, api_version, created, payload, status, user_id, credits_added, object_id, detail, error, attempts, received_at, processed_at";

    /// <summary>
    /// Claims the event for processing in the caller's transaction, before any business effect.
    /// False when the id is already stored with an outcome: the caller does nothing and answers
    /// <c>duplicate</c>. A stored <c>failed</c> row is claimed again, since failures are kept to be retried.
    /// The row is never seen as 'processing' by anyone else: the outcome is written in the same transaction.
    /// </summary>
    public static async Task<bool> TryClaimAsync(LedgerTransaction tx, StripeEvent evt, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            $"""
            INSERT INTO webhook_events ({Columns})
            VALUES (@Id, @Type, @livemode, @ApiVersion, @Created, @Payload, 'processing', NULL, 0, @ObjectId, NULL, NULL, 1, @now, NULL)
            ON CONFLICT (id) DO UPDATE SET status = 'processing', error = NULL, attempts = webhook_events.attempts + 1
            WHERE webhook_events.status = 'failed'
            """,
            new { evt.Id, evt.Type, livemode = ToInteger(evt.Livemode), evt.ApiVersion, evt.Created, evt.Payload, evt.ObjectId, now },
            cancellationToken) == 1;

    /// <summary>Writes what processing did onto the claimed (or replayed) row.</summary>
    public static Task RecordOutcomeAsync(LedgerTransaction tx, string id, EventOutcome outcome, long now, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            """
            UPDATE webhook_events
            SET status = @Status, user_id = @UserId, credits_added = @CreditsAdded, object_id = COALESCE(@ObjectId, object_id),
                detail = @Detail, error = NULL, processed_at = @now
            WHERE id = @id
            """,
            new { id, outcome.Status, outcome.UserId, outcome.CreditsAdded, outcome.ObjectId, outcome.Detail, now }, cancellationToken);

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

    /// <summary>A replay counts as an attempt; its outcome replaces the stored one unless it only found the work already done.</summary>
    public static async Task RecordReplayAsync(LedgerTransaction tx, string id, EventOutcome outcome, long now, CancellationToken cancellationToken)
    {
        await tx.ExecuteAsync("UPDATE webhook_events SET attempts = attempts + 1, error = NULL WHERE id = @id", new { id }, cancellationToken);
        if (outcome.Status != EventStatus.Duplicate)
        {
            await RecordOutcomeAsync(tx, id, outcome, now, cancellationToken);
        }
    }

    /// <summary>Newest first, optionally filtered; <paramref name="after"/> is the last row of the previous page.</summary>
    public static async Task<IReadOnlyList<StoredEvent>> ListAsync(
        LedgerDatabase database, string? status, string? type, (long At, string Id)? after, int limit, CancellationToken cancellationToken)
        => [.. await database.ReadAsync(c => c.QueryAsync<StoredEvent>(new CommandDefinition(
            ListSql(status is not null, type is not null, after is not null),
            new { status, type, at = after?.At, id = after?.Id, limit }, cancellationToken: cancellationToken)), cancellationToken)];

    /// <summary>The events list with the filters given (ListQueryPlanTests checks its plans).</summary>
    internal static string ListSql(bool byStatus, bool byType, bool after)
    {
        var filters = new List<string>();
        if (byStatus)
        {
            filters.Add("status = @status");
        }
        if (byType)
        {
            filters.Add("type = @type");
        }
        if (after)
        {
            filters.Add("(received_at < @at OR (received_at = @at AND id < @id))");
        }
        var where = filters.Count == 0 ? "" : "WHERE " + string.Join(" AND ", filters);
        return $"SELECT {Columns} FROM webhook_events {where} ORDER BY received_at DESC, id DESC LIMIT @limit";
    }

    public static Task<StoredEvent?> GetAsync(LedgerDatabase database, string id, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<StoredEvent>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_events WHERE id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken);

    private static int? ToInteger(bool? value) => value is null ? null : value.Value ? 1 : 0;
}
