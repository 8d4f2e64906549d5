using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>
/// Reserve credits before work (<c>POST /api/users/{id}/holds</c>, with a required Idempotency-Key),
/// then capture all or part (<c>POST /api/holds/{id}/capture</c>) or give them back (<c>/release</c>),
/// each with an optional key. The same key and body replay the first answer (a retried create
/// returns the same hold); another body is a 409. Without a key, a retried capture or release
/// answers 200 with the hold as it stands; an expired hold has released itself.
/// </summary>
public static class HoldsApi
{
    public const int DefaultTtlSeconds = 600;
    public const int MaxTtlSeconds = 7 * 24 * 3600;

    public static RouteGroupBuilder MapHoldsApi(this RouteGroupBuilder outer)
    {
        var api = outer.MapGroup("").AddEndpointFilter<DatabaseOutageFilter>().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/users/{id}/holds", PlaceAsync).WithTags("Holds")
            .WithJsonBody<HoldBody>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary($"Reserve credits for ttl_seconds (default {DefaultTtlSeconds}); they stop being available (needs an Idempotency-Key header)");
        var holds = api.MapGroup("/holds").WithTags("Holds").ProducesProblem(StatusCodes.Status404NotFound);
        holds.MapGet("/{id}", GetAsync).WithSummary("A hold and its status: active, captured, released or expired");
        holds.MapPost("/{id}/capture", CaptureAsync)
            .WithJsonBody<CaptureBody>(required: false)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Charge all of a hold, or credits of it, and release the rest; the body and an Idempotency-Key header are optional");
        holds.MapPost("/{id}/release", ReleaseAsync)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Give a hold's credits back without charging; an Idempotency-Key header is optional");
        return outer;
    }

    /// <summary>The body of a new hold, as documented.</summary>
    public sealed record HoldBody
    {
        [Range(1, (int)CreditLimits.MaxCredits)]
        [Description("Whole credits to reserve.")]
        public required long Credits { get; init; }

        [Range(1, MaxTtlSeconds)]
        [Description("How long the hold lasts before it releases itself; default 600.")]
        public int? TtlSeconds { get; init; }
    }

    /// <summary>The body of a capture, as documented; the body itself is optional.</summary>
    public sealed record CaptureBody
    {
        [Range(1, (int)CreditLimits.MaxCredits)]
        [Description("Credits to charge, at most the hold's; absent charges the whole hold.")]
        public long? Credits { get; init; }
    }

    /// <summary>As read: numbers are checked by hand so a bad amount gets a plain answer.</summary>
    public sealed record HoldRequest(JsonElement? Credits, JsonElement? TtlSeconds);

    public sealed record CaptureRequest(JsonElement? Credits);

    /// <summary>balance, held and available are the account's, after this change (absent on GET).</summary>
    public sealed record HoldResponse(
        string Id, string UserId, long Credits, string Status, long Captured,
        DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        long? Balance, long? Held, long? Available)
    {
        public static HoldResponse From(Hold hold, Funds? funds) => new(hold.Id, hold.AccountId, hold.Credits, hold.Status, hold.Captured,
            DateTimeOffset.FromUnixTimeMilliseconds(hold.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(hold.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(hold.UpdatedAt), funds?.Balance, funds?.Held, funds?.Available);
    }

    private static async Task<Results<Created<HoldResponse>, ProblemHttpResult>> PlaceAsync(
        string id, HttpRequest request, Holds holds, CancellationToken cancellationToken)
    {
        if (!AccountIds.IsValid(id))
        {
            return CreditProblems.UnknownUser(id);
        }
        if (CreditProblems.ReadKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        var (body, problem) = await JsonBody.ReadAsync<HoldRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var ttl = (long)DefaultTtlSeconds;
        if ((CreditAmount.ReadCredits(body!.Credits, out var credits)
            ?? (body.TtlSeconds is { ValueKind: not JsonValueKind.Null } ? CreditAmount.Read(body.TtlSeconds, "ttl_seconds", MaxTtlSeconds, out ttl) : null)) is { } invalid)
        {
            return invalid;
        }
        var result = await holds.PlaceAsync(id, key, credits, TimeSpan.FromSeconds(ttl), cancellationToken);
        MarkReplayed(request, result);
        return result.Outcome switch
        {
            HoldOutcome.Placed => TypedResults.Created($"/api/holds/{result.Hold!.Id}", HoldResponse.From(result.Hold, result.Funds)),
            HoldOutcome.Insufficient => CreditProblems.Insufficient(id, credits, result.Funds!, "this hold"),
            HoldOutcome.KeyReused => KeyReused(key, $"user '{id}'", "hold"),
            _ => CreditProblems.UnknownUser(id),
        };
    }

    private static async Task<Results<Ok<HoldResponse>, ProblemHttpResult>> GetAsync(string id, Holds holds, CancellationToken cancellationToken) =>
        await holds.GetAsync(id, cancellationToken) is { } hold ? TypedResults.Ok(HoldResponse.From(hold, null)) : UnknownHold(id);

    private static async Task<Results<Ok<HoldResponse>, ProblemHttpResult>> CaptureAsync(
        string id, HttpRequest request, Holds holds, CreditsMetrics metrics, CancellationToken cancellationToken)
    {
        if (ReadOptionalKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        long? credits = null;
        if (request.ContentLength > 0 || request.HasJsonContentType())
        {
            var (body, problem) = await JsonBody.ReadAsync<CaptureRequest>(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            if (body!.Credits is { ValueKind: not JsonValueKind.Null })
            {
                if (CreditAmount.ReadCredits(body.Credits, out var amount) is { } invalid)
                {
                    return invalid;
                }
                credits = amount;
            }
        }
        var result = await holds.CaptureAsync(id, credits, key, cancellationToken);
        if (result is { Outcome: HoldOutcome.Captured, Replayed: false })
        {
            metrics.CreditsMoved("spent", result.Hold!.Captured);
        }
        MarkReplayed(request, result);
        return result.Outcome switch
        {
            HoldOutcome.MoreThanHeld => Problems.BadRequest("Invalid credits",
                $"credits {credits} is more than the {result.Hold!.Credits} held by {id}; capture at most what was held. Nothing was charged."),
            HoldOutcome.Insufficient => CreditProblems.Insufficient(result.Hold!.AccountId, credits ?? result.Hold.Credits,
                result.Funds! with { Held = result.Funds!.Held - result.Hold.Credits }, "this capture"),
            _ => Answer(id, result, "captured", key),
        };
    }

    private static async Task<Results<Ok<HoldResponse>, ProblemHttpResult>> ReleaseAsync(
        string id, HttpRequest request, Holds holds, CancellationToken cancellationToken)
    {
        if (ReadOptionalKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        var result = await holds.ReleaseAsync(id, key, cancellationToken);
        MarkReplayed(request, result);
        return Answer(id, result, "released", key);
    }

    /// <summary>Capture and release are safe to retry without a key; a key, when sent, must be well formed.</summary>
    private static ProblemHttpResult? ReadOptionalKey(HttpRequest request, out string? key)
    {
        key = null;
        if (!request.Headers.ContainsKey(CreditProblems.IdempotencyKeyHeader))
        {
            return null;
        }
        var problem = CreditProblems.ReadKey(request, out var read);
        key = read;
        return problem;
    }

    private static void MarkReplayed(HttpRequest request, HoldResult result)
    {
        if (result.Replayed)
        {
            request.HttpContext.Response.Headers[SpendingApi.ReplayedHeader] = "true";
        }
    }

    private static ProblemHttpResult KeyReused(string? key, string scope, string what) => Problems.Conflict(
        $"The Idempotency-Key '{key}' was already used on {scope} for a different request; send a new key for a new {what}. Nothing was changed.");

    private static Results<Ok<HoldResponse>, ProblemHttpResult> Answer(string id, HoldResult result, string verb, string? key) => result.Outcome switch
    {
        HoldOutcome.NotFound => UnknownHold(id),
        HoldOutcome.KeyReused => KeyReused(key, $"the account of hold {id}", verb == "captured" ? "capture" : "release"),
        HoldOutcome.Settled => Problems.Conflict(
            $"Hold {id} is already {result.Hold!.Status}{(result.Hold.Status == HoldStatus.Captured ? $" ({result.Hold.Captured} credits)" : "")}, so it cannot be {verb}; place a new hold. Nothing was changed."),
        _ => TypedResults.Ok(HoldResponse.From(result.Hold!, result.Funds)),
    };

    private static ProblemHttpResult UnknownHold(string id) =>
        Problems.NotFound($"No hold '{id}'. Holds are created with POST /api/users/{{id}}/holds, which answers with the hold id.");
}
