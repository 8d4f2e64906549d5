using System.Security.Cryptography;
using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Ledger.Webhooks;

/// <summary>
/// Where outbound webhooks go. Each endpoint has its own <c>whsec_</c> secret, made here; the one
/// set by CREDITS_WEBHOOK_URL and CREDITS_WEBHOOK_SECRET is the endpoint <see cref="ConfiguredId"/>.
/// </summary>
public sealed class WebhookEndpoints(LedgerDatabase database, TimeProvider time)
{
    public const string ConfiguredId = "ep_config";

    private const string Columns = "id, url, secret, event_types, low_balance_threshold, enabled, disabled_reason, created_at";

    public async Task<WebhookEndpoint> AddAsync(string url, IReadOnlyList<string>? eventTypes, long? lowBalanceThreshold, CancellationToken cancellationToken)
    {
        var endpoint = new WebhookEndpoint
        {
            Id = $"ep_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}",
            Url = url,
            Secret = NewSecret(),
            EventTypes = eventTypes is null ? null : $",{string.Join(',', eventTypes)},",
            LowBalanceThreshold = lowBalanceThreshold,
            Enabled = 1,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        await WriteAsync($"INSERT INTO webhook_endpoints ({Columns}) VALUES (@Id, @Url, @Secret, @EventTypes, @LowBalanceThreshold, 1, NULL, @CreatedAt)",
            endpoint, cancellationToken);
        return endpoint;
    }

    /// <summary>
    /// The endpoint of CREDITS_WEBHOOK_URL and CREDITS_WEBHOOK_SECRET, written at start-up so the
    /// outbox fans out to it like any other: every event type, no threshold. Unset, it is disabled.
    /// </summary>
    public Task ConfigureAsync(string? url, string? secret, CancellationToken cancellationToken) =>
        url is null || secret is null
            ? WriteAsync("UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'CREDITS_WEBHOOK_URL is not set' WHERE id = @id",
                new { id = ConfiguredId }, cancellationToken)
            : WriteAsync(
                $"""
                INSERT INTO webhook_endpoints ({Columns}) VALUES (@id, @url, @secret, NULL, NULL, 1, NULL, @now)
                ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, enabled = 1, disabled_reason = NULL
                """,
                new { id = ConfiguredId, url, secret, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);

    public async Task<IReadOnlyList<WebhookEndpoint>> ListAsync(CancellationToken cancellationToken) =>
        [.. await database.ReadAsync(c => c.QueryAsync<WebhookEndpoint>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_endpoints ORDER BY created_at, id", cancellationToken: cancellationToken)), cancellationToken)];

    public Task<WebhookEndpoint?> GetAsync(string id, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<WebhookEndpoint>(new CommandDefinition(
            $"SELECT {Columns} FROM webhook_endpoints WHERE id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>Removes the endpoint and the messages still waiting for it; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var tx = await database.BeginAsync(cancellationToken);
        await tx.ExecuteAsync("DELETE FROM webhook_messages WHERE endpoint_id = @id", new { id }, cancellationToken);
        var deleted = await tx.ExecuteAsync("DELETE FROM webhook_endpoints WHERE id = @id", new { id }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    /// <summary>The receiver answered 410 Gone: nothing more is sent to it until it is added again.</summary>
    public Task DisableAsync(string id, string reason, CancellationToken cancellationToken) =>
        WriteAsync("UPDATE webhook_endpoints SET enabled = 0, disabled_reason = @reason WHERE id = @id", new { id, reason }, cancellationToken);

    /// <summary>A Standard Webhooks secret: <c>whsec_</c> and the base64 of 24 random bytes.</summary>
    public static string NewSecret() => $"whsec_{Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))}";

    private async Task WriteAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var tx = await database.BeginAsync(cancellationToken);
        await tx.ExecuteAsync(sql, args, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}

/// <summary>An endpoint row. <see cref="EventTypes"/> is null for every type, else the types wrapped in commas.</summary>
public sealed record WebhookEndpoint
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public required string Secret { get; init; }
    public string? EventTypes { get; init; }
    public long? LowBalanceThreshold { get; init; }
    public long Enabled { get; init; }
    public string? DisabledReason { get; init; }
    public long CreatedAt { get; init; }

    public IReadOnlyList<string>? EventTypeList => EventTypes?.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
