using System.Globalization;
using System.Text.Json;
using Credits.Ledger.Storage;

namespace Credits.Ledger.Webhooks;

/// <summary>
/// The outbound webhook outbox. A change calls <see cref="EnqueueAsync"/> inside its own
/// transaction, after it has locked and moved the account row, so the messages commit or roll
/// back with it and their seq follows the account's commit order. The fan-out is one
/// INSERT ... SELECT FROM webhook_endpoints: with no endpoint it writes nothing. balance.low is
/// stateless: a change whose available balance goes from at or above an endpoint's threshold to
/// below it crosses it, so it is sent once per crossing and again only after a rise above.
/// </summary>
public static partial class Outbox
{
    /// <summary>
    /// Whether any message could be written (an enabled endpoint exists), as a boolean SQL expression.
    /// A one-statement change returns it, so with no endpoint it skips building and sending its
    /// message: the enqueue would have written nothing. The endpoint set is read at that statement's
    /// snapshot instead of the enqueue's, which is the same choice for an endpoint created meanwhile.
    /// </summary>
    public const string AnyEndpointSql = "EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled = 1)";

    /// <summary>The columns a message is written with.</summary>
    public const string MessageColumns = "id, endpoint_id, account_id, event_type, payload, status, attempts, next_attempt_at, created_at";

    /// <summary>Endpoint <c>e</c> gets events of type <paramref name="type"/> (a SQL expression): enabled, and listening to it.</summary>
    private static string ListensTo(string type) =>
        $"e.enabled = 1 AND (e.event_types IS NULL OR e.event_types LIKE '%,' || {type} || ',%')";

    private static readonly string EnqueueSql =
        $"""
        INSERT INTO webhook_messages ({MessageColumns})
        SELECT @id || '_' || e.id, e.id, @accountId, @type, @payload, '{MessageStatus.Pending}', 0, @now, @now
        FROM webhook_endpoints e
        WHERE @type IS NOT NULL AND {ListensTo("@type")}
        UNION ALL
        SELECT @lowId || '_' || e.id, e.id, @accountId, '{WebhookEventTypes.BalanceLow}', @lowHead || CAST(e.low_balance_threshold AS text) || @lowTail,
               '{MessageStatus.Pending}', 0, @now, @now
        FROM webhook_endpoints e
        WHERE {ListensTo($"'{WebhookEventTypes.BalanceLow}'")}
          AND e.low_balance_threshold IS NOT NULL
          AND CAST(@before AS bigint) >= e.low_balance_threshold AND e.low_balance_threshold > CAST(@after AS bigint)
        """;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes the change's message (and a balance.low where it crosses a threshold) for every endpoint that listens.</summary>
    public static Task EnqueueAsync(LedgerTransaction tx, OutboxChange change, long now, CancellationToken cancellationToken)
    {
        var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(now).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var payload = change.Type is null ? null : Body(change.Type, timestamp, JsonSerializer.Serialize(change.Data, Json));
        // balance.low's data starts with the endpoint's own threshold, written in by the SELECT.
        var low = change.Low ?? new Crossing(0, 0, 0);
        var rest = JsonSerializer.Serialize(new { account_id = change.AccountId, available = low.AvailableAfter, balance = low.Balance }, Json);
        return tx.ExecuteAsync(EnqueueSql, new
        {
            id = NewId(),
            lowId = NewId(),
            accountId = change.AccountId,
            type = change.Type,
            payload,
            lowHead = $"{{\"type\":\"{WebhookEventTypes.BalanceLow}\",\"timestamp\":\"{timestamp}\",\"data\":{{\"threshold\":",
            lowTail = $",{rest[1..]}}}",
            before = change.Low?.AvailableBefore,
            after = change.Low?.AvailableAfter,
            now,
        }, cancellationToken);
    }

    /// <summary>The Standard Webhooks body: <c>{type, timestamp, data}</c>.</summary>
    public static string Body(string type, string timestamp, string dataJson) =>
        $"{{\"type\":{JsonSerializer.Serialize(type)},\"timestamp\":\"{timestamp}\",\"data\":{dataJson}}}";

    /// <summary>A change's id; each message is it plus its endpoint's id, the webhook-id every attempt repeats.</summary>
    private static string NewId() => $"msg_{Guid.CreateVersion7():N}";
}

/// <summary>
/// One change to report: its event type (null when it reports only a balance.low crossing), the account it is about (null for a payment not yet
/// matched to one) and its <c>data</c> object (serialised snake_case). <see cref="Low"/> is set by
/// changes that can lower the available balance.
/// </summary>
public sealed record OutboxChange(string? Type, string? AccountId, object Data, Crossing? Low = null);

/// <summary>The account's available balance (balance - held) before and after a change, and its balance after.</summary>
public sealed record Crossing(long AvailableBefore, long AvailableAfter, long Balance);

/// <summary>What a message's status column holds.</summary>
public static class MessageStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    public static readonly string[] All = [Pending, Delivered, Failed];
}

/// <summary>The event types Credits sends, as they appear in a body's <c>type</c>.</summary>
public static class WebhookEventTypes
{
    public const string CreditsGranted = "credits.granted";
    public const string CreditsReversed = "credits.reversed";
    public const string CreditsSpent = "credits.spent";
    public const string CreditsExpired = "credits.expired";
    public const string CreditsExpiringSoon = "credits.expiring_soon";
    public const string BalanceLow = "balance.low";
    public const string PaymentUnmatched = "payment.unmatched";
    public const string PaymentReassigned = "payment.reassigned";

    /// <summary>Sent only by <c>credits webhooks test</c>, to the one endpoint asked for.</summary>
    public const string Ping = "ping";

    public static readonly string[] All =
        [CreditsGranted, CreditsReversed, CreditsSpent, CreditsExpired, CreditsExpiringSoon, BalanceLow, PaymentUnmatched, PaymentReassigned];
}
