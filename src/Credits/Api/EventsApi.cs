using System.Globalization;
using System.Text.Json;
using Credits.Ledger.Storage;
using Credits.Stripe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>Stored webhook deliveries: list, inspect, and replay through the same idempotent path.</summary>
public static class EventsApi
{
    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", ListAsync).WithTags("Events");
        api.MapGet("/events/{id}", GetAsync).WithTags("Events");
        api.MapPost("/events/{id}/replay", ReplayAsync).WithTags("Events");
        return api;
    }

    public sealed record EventSummary(
        string Id, string Type, string Status, string? UserId, long CreditsAdded, string? ObjectId, string? Detail, string? Error,
        long Attempts, bool? Livemode, DateTimeOffset ReceivedAt, DateTimeOffset? ProcessedAt)
    {
        public static EventSummary From(StoredEvent e) => new(e.Id, e.Type, e.Status, e.UserId, e.CreditsAdded, e.ObjectId, e.Detail, e.Error,
            e.Attempts, e.Livemode is null ? null : e.Livemode == 1, DateTimeOffset.FromUnixTimeMilliseconds(e.ReceivedAt),
            e.ProcessedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
    }

    public sealed record EventList(IReadOnlyList<EventSummary> Events, string? NextCursor);

    public sealed record EventDetail(EventSummary Event, JsonElement Payload);

    private static async Task<Results<Ok<EventList>, ProblemHttpResult>> ListAsync(
        LedgerDatabase database, CancellationToken cancellationToken, string? status = null, string? type = null, int? limit = null, string? cursor = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        (long At, string Id)? after = null;
        if (cursor is not null)
        {
            var parts = cursor.Split(':', 2);
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at))
            {
                return Problems.BadRequest("Invalid cursor", "cursor must be the next_cursor value of a previous page.");
            }
            after = (at, parts[1]);
        }
        var size = limit ?? 50;
        var events = await WebhookEvents.ListAsync(database, status, type, after, size, cancellationToken);
        var next = events.Count == size ? $"{events[^1].ReceivedAt.ToString(CultureInfo.InvariantCulture)}:{events[^1].Id}" : null;
        return TypedResults.Ok(new EventList([.. events.Select(EventSummary.From)], next));
    }

    private static async Task<Results<Ok<EventDetail>, ProblemHttpResult>> GetAsync(string id, LedgerDatabase database, CancellationToken cancellationToken)
    {
        if (await WebhookEvents.GetAsync(database, id, cancellationToken) is not { } stored)
        {
            return Problems.NotFound($"No stored event '{id}'. Events are stored when a signed delivery is accepted.");
        }
        using var payload = JsonDocument.Parse(stored.Payload);
        return TypedResults.Ok(new EventDetail(EventSummary.From(stored), payload.RootElement.Clone()));
    }

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> ReplayAsync(string id, EventProcessor processor, CancellationToken cancellationToken) =>
        await processor.ReplayAsync(id, cancellationToken) is { } outcome
            ? TypedResults.Ok(WebhookResponse.From(id, outcome))
            : Problems.NotFound($"No stored event '{id}' to replay.");
}
