using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>Outbound webhooks: the endpoints Credits sends to, and the messages (deliveries) it sent or will send.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/webhook-endpoints", ListEndpointsAsync).WithTags("Webhooks");
        api.MapPost("/webhook-endpoints", AddEndpointAsync).WithTags("Webhooks");
        api.MapDelete("/webhook-endpoints/{id}", DeleteEndpointAsync).WithTags("Webhooks");
        api.MapPost("/webhook-endpoints/{id}/test", TestEndpointAsync).WithTags("Webhooks");
        api.MapGet("/webhook-deliveries", ListDeliveriesAsync).WithTags("Webhooks");
        api.MapPost("/webhook-deliveries/{id}/retry", RetryAsync).WithTags("Webhooks");
        return api;
    }

    public sealed record EndpointRequest(string? Url, IReadOnlyList<string>? EventTypes, long? LowBalanceThreshold);

    /// <summary>An endpoint as listed; <see cref="Secret"/> only in the answer to its creation.</summary>
    public sealed record EndpointView(
        string Id, string Url, IReadOnlyList<string>? EventTypes, long? LowBalanceThreshold, bool Enabled, string? DisabledReason, DateTimeOffset CreatedAt,
        string? Secret = null)
    {
        public static EndpointView From(WebhookEndpoint e, bool withSecret = false) => new(e.Id, e.Url, e.EventTypeList, e.LowBalanceThreshold, e.Enabled == 1,
            e.DisabledReason, DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt), withSecret ? e.Secret : null);
    }

    public sealed record EndpointList(IReadOnlyList<EndpointView> Endpoints);

    public sealed record DeliveryView(
        string Id, string EndpointId, string? UserId, string Type, string Status, long Attempts, int? LastStatusCode, string? LastError,
        DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt, string Payload)
    {
        public static DeliveryView From(Delivery d) => new(d.Id, d.EndpointId, d.AccountId, d.EventType, d.Status, d.Attempts, (int?)d.LastStatusCode, d.LastError,
            DateTimeOffset.FromUnixTimeMilliseconds(d.CreatedAt),
            d.Status == MessageStatus.Pending ? DateTimeOffset.FromUnixTimeMilliseconds(d.NextAttemptAt) : null,
            d.DeliveredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, d.Payload);
    }

    public sealed record DeliveryList(IReadOnlyList<DeliveryView> Deliveries);

    public sealed record PingSent(string MessageId, string EndpointId);

    private static async Task<Ok<EndpointList>> ListEndpointsAsync(WebhookEndpoints endpoints, CancellationToken cancellationToken) =>
        TypedResults.Ok(new EndpointList([.. (await endpoints.ListAsync(cancellationToken)).Select(e => EndpointView.From(e))]));

    private static async Task<Results<Created<EndpointView>, ProblemHttpResult>> AddEndpointAsync(
        HttpRequest request, WebhookEndpoints endpoints, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<EndpointRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrWhiteSpace(body!.Url) || OutboundSettings.UrlProblem(body.Url) is { } urlProblem)
        {
            return Problems.BadRequest("Invalid url", $"url {(string.IsNullOrWhiteSpace(body.Url) ? "is required" : OutboundSettings.UrlProblem(body.Url))}: send the absolute http or https URL the platform receives webhooks on.");
        }
        var url = body.Url.Trim();
        if (PointsAtCredits(new Uri(url), request.HttpContext))
        {
            return Problems.BadRequest("Invalid url", $"url '{url}' points at this Credits server itself; give the platform's own webhook URL.");
        }
        if (body.EventTypes is { } types && types.FirstOrDefault(t => !WebhookEventTypes.All.Contains(t)) is { } unknown)
        {
            return Problems.BadRequest("Invalid event_types", $"'{unknown}' is not an event type Credits sends; use some of: {string.Join(", ", WebhookEventTypes.All)} (or leave event_types out for all).");
        }
        if (body.EventTypes is { Count: 0 })
        {
            return Problems.BadRequest("Invalid event_types", "event_types is empty, so nothing would be sent; list the types wanted, or leave it out for all.");
        }
        if (body.LowBalanceThreshold is < 0)
        {
            return Problems.BadRequest("Invalid low_balance_threshold", "low_balance_threshold must be 0 or more credits (balance.low is sent when the available balance falls below it).");
        }
        var endpoint = await endpoints.AddAsync(url, body.EventTypes?.Distinct().ToArray(), body.LowBalanceThreshold, cancellationToken);
        return TypedResults.Created($"/api/webhook-endpoints/{endpoint.Id}", EndpointView.From(endpoint, withSecret: true));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteEndpointAsync(string id, WebhookEndpoints endpoints, CancellationToken cancellationToken) =>
        await endpoints.DeleteAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound($"No webhook endpoint '{id}'; GET /api/webhook-endpoints lists them.");

    private static async Task<Results<Accepted<PingSent>, ProblemHttpResult>> TestEndpointAsync(
        string id, LedgerDatabase database, TimeProvider time, CancellationToken cancellationToken) =>
        await Outbox.EnqueuePingAsync(database, id, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken) is { } messageId
            ? TypedResults.Accepted($"/api/webhook-deliveries?endpoint={id}", new PingSent(messageId, id))
            : Problems.NotFound($"No webhook endpoint '{id}'; GET /api/webhook-endpoints lists them.");

    private static async Task<Results<Ok<DeliveryList>, ProblemHttpResult>> ListDeliveriesAsync(
        LedgerDatabase database, CancellationToken cancellationToken, string? status = null, string? endpoint = null, int? limit = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        if (status is not null && !MessageStatus.All.Contains(status))
        {
            return Problems.BadRequest("Invalid status", $"status must be one of {string.Join(", ", MessageStatus.All)}.");
        }
        var deliveries = await Outbox.ListAsync(database, status, endpoint, limit ?? 50, cancellationToken);
        return TypedResults.Ok(new DeliveryList([.. deliveries.Select(DeliveryView.From)]));
    }

    private static async Task<Results<Accepted<DeliveryView>, ProblemHttpResult>> RetryAsync(
        string id, LedgerDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!await Outbox.RetryAsync(database, id, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken)
            || await Outbox.GetAsync(database, id, cancellationToken) is not { } delivery)
        {
            return Problems.NotFound($"No webhook delivery '{id}'; GET /api/webhook-deliveries lists them.");
        }
        return TypedResults.Accepted($"/api/webhook-deliveries?endpoint={delivery.EndpointId}", DeliveryView.From(delivery));
    }

    /// <summary>Whether the URL names this server: its request host, or an address it listens on (a wildcard one reached through loopback).</summary>
    private static bool PointsAtCredits(Uri uri, HttpContext context)
    {
        if (string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var addresses = context.RequestServices.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (!Uri.TryCreate(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var listening) || listening.Port != uri.Port)
            {
                continue;
            }
            var wildcard = listening.Host is "0.0.0.0" or "[::]";
            if (string.Equals(listening.Host, uri.Host, StringComparison.OrdinalIgnoreCase) || wildcard && (uri.IsLoopback || uri.Host == "localhost"))
            {
                return true;
            }
        }
        return false;
    }
}
