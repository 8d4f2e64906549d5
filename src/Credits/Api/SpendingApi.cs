using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>
/// <c>POST /api/users/{id}/spend</c> and <c>POST /api/users/{id}/grants</c>. Both need an
/// Idempotency-Key: the same key and body replay the first answer, another body is a 409, and a
/// request without a key is refused (400), because a retried keyless spend could charge twice.
/// </summary>
public static class SpendingApi
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static RouteGroupBuilder MapSpendingApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Spending").AddEndpointFilter<DatabaseOutageFilter>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        users.MapPost("/{id}/spend", SpendAsync).WithJsonBody<MovementBody>()
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .WithSummary("Spend credits (needs an Idempotency-Key header; 402 when the available balance is short)");
        users.MapPost("/{id}/grants", GrantAsync).WithJsonBody<MovementBody>()
            .WithSummary("Grant credits by hand: support goodwill, promotions (needs an Idempotency-Key header)");
        return api;
    }

    /// <summary>The body as documented.</summary>
    public sealed record MovementBody
    {
        [Range(1, (int)CreditLimits.MaxCredits)]
        [Description("Whole credits to move.")]
        public required long Credits { get; init; }

        [MaxLength(500)]
        [Description("Why; kept in the ledger. Required for grants.")]
        public string? Reason { get; init; }

        [Description("Grants only: the lot's category, `paid` or `promotional` (the default).")]
        public string? Category { get; init; }

        [Description("Grants only: when the granted credits expire (RFC 3339, in the future); none by default.")]
        public DateTimeOffset? ExpiresAt { get; init; }
    }

    /// <summary>The body as read: credits and the lot terms are checked by hand so a bad value gets a plain answer.</summary>
    public sealed record MovementRequest(JsonElement? Credits, string? Reason, string? Category = null, string? ExpiresAt = null);

    public sealed record MovementResponse(
        string UserId, long EntryId, string Kind, long Credits, string? Reason, long Balance, long Held, long Available,
        string IdempotencyKey, DateTimeOffset CreatedAt)
    {
        public static MovementResponse From(Movement m, string key) => new(m.AccountId, m.EntryId, m.Kind, m.Credits, m.Reason,
            m.Balance, m.Held, m.Balance - m.Held, key, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt));
    }

    private static Task<Results<Ok<MovementResponse>, ProblemHttpResult>> SpendAsync(
        string id, HttpRequest request, Spending spending, CreditsMetrics metrics, TimeProvider time, CancellationToken cancellationToken) =>
        MoveAsync(id, request, Spending.SpendKind, time, (account, key, credits, reason, _, ct) => spending.SpendAsync(account, key, credits, reason, ct),
            metrics, cancellationToken);

    private static Task<Results<Ok<MovementResponse>, ProblemHttpResult>> GrantAsync(
        string id, HttpRequest request, Spending spending, CreditsMetrics metrics, TimeProvider time, CancellationToken cancellationToken) =>
        MoveAsync(id, request, Spending.GrantKind, time, (account, key, credits, reason, lots, ct) => spending.GrantAsync(account, key, credits, reason!, lots, ct),
            metrics, cancellationToken);

    private static async Task<Results<Ok<MovementResponse>, ProblemHttpResult>> MoveAsync(
        string id, HttpRequest request, string kind, TimeProvider time, Func<string, string, long, string?, LotTerms, CancellationToken, Task<MovementResult>> move,
        CreditsMetrics metrics, CancellationToken cancellationToken)
    {
        if (!AccountIds.IsValid(id))
        {
            return CreditProblems.UnknownUser(id);
        }
        if (CreditProblems.ReadKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        var (body, problem) = await JsonBody.ReadAsync<MovementRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if ((CreditAmount.ReadCredits(body!.Credits, out var credits) ?? CreditProblems.ReadReason(body.Reason, kind == Spending.GrantKind)) is { } invalid)
        {
            return invalid;
        }
        var (lots, lotProblem) = LotTermsRequest.Read(body.Category, body.ExpiresAt, kind == Spending.GrantKind, time.GetUtcNow());
        if (lotProblem is not null)
        {
            return lotProblem;
        }
        var reason = string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim();
        var result = await move(id, key, credits, reason, lots!, cancellationToken);
        switch (result.Status)
        {
            case MovementOutcome.Done:
                metrics.CreditsMoved(kind == Spending.SpendKind ? "spent" : "granted", credits);
                return TypedResults.Ok(MovementResponse.From(result.Movement!, key));
            case MovementOutcome.Replayed:
                request.HttpContext.Response.Headers[ReplayedHeader] = "true";
                return TypedResults.Ok(MovementResponse.From(result.Movement!, key));
            case MovementOutcome.KeyReused:
                return Problems.Conflict(
                    $"The Idempotency-Key '{key}' was already used on user '{id}' for a different request; send a new key for a new {kind}. Nothing was changed.");
            case MovementOutcome.Insufficient:
                return CreditProblems.Insufficient(id, credits, result.Funds!, "this spend");
            default:
                return CreditProblems.UnknownUser(id);
        }
    }
}
