using Credits.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary><c>GET /api/users/{id}/lots</c>: the account's credit lots, active first, paged by offset.</summary>
public static class LotsApi
{
    public static RouteGroupBuilder MapLotsApi(this RouteGroupBuilder api)
    {
        api.MapGroup("/users").WithTags("Users").MapGet("/{id}/lots", ListAsync)
            .WithSummary("The account's credit lots: active first (in spend order), then spent and expired, newest first");
        return api;
    }

    public sealed record LotResponse(
        long Id, string Category, string Source, string SourceId, long Granted, long Remaining, long Held, string State, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

    public sealed record LotPage(string UserId, IReadOnlyList<LotResponse> Lots, int? NextOffset);

    private static async Task<Results<Ok<LotPage>, ProblemHttpResult>> ListAsync(
        string id, CreditLedger ledger, LotQueries lots, TimeProvider time, CancellationToken cancellationToken, int? limit = null, int? offset = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        if (offset is < 0)
        {
            return Problems.BadRequest("Invalid offset", "'offset' must be 0 or more; pass the next_offset of the previous page.");
        }
        if (await ledger.GetAccountAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"No user '{id}'.");
        }
        var size = limit ?? 50;
        var start = offset ?? 0;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var page = await lots.ListAsync(id, start, size, cancellationToken);
        return TypedResults.Ok(new LotPage(id, [.. page.Select(l => From(l, now))], page.Count == size ? start + size : null));
    }

    public static LotResponse From(CreditLot lot, long now) => new(lot.Id, lot.Category, lot.SourceKind, lot.SourceId, lot.Granted, lot.Remaining, lot.Held,
        lot.StateAt(now), lot.ExpiresAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, DateTimeOffset.FromUnixTimeMilliseconds(lot.CreatedAt));
}
