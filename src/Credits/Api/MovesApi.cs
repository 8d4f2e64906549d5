using System.Text.Json;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Stripe;
using Credits.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>
/// Fixing credits that landed on the wrong account: <c>POST /api/payments/{id}/reassign</c> moves a
/// granted purchase, <c>POST /api/users/{id}/transfers</c> moves some credits. Both need an
/// Idempotency-Key: the same key and body replay the first answer, another body is a 409.
/// </summary>
public static class MovesApi
{
    public static RouteGroupBuilder MapMovesApi(this RouteGroupBuilder api)
    {
        api.MapPost("/payments/{checkoutSessionId}/reassign", ReassignAsync).WithTags("Payments").AddEndpointFilter<DatabaseOutageFilter>()
            .WithJsonBody<ReassignRequest>()
            .WithSummary("Move a granted purchase to another account (needs an Idempotency-Key header)");
        api.MapPost("/users/{id}/transfers", TransferAsync).WithTags("Spending").AddEndpointFilter<DatabaseOutageFilter>()
            .WithJsonBody<TransferBody>()
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .WithSummary("Move credits to another account (needs an Idempotency-Key header; 402 when the available balance is short)");
        return api;
    }

    public sealed record ReassignRequest(string? UserId, string? Reason);

    /// <summary>The transfer body as documented.</summary>
    public sealed record TransferBody(string ToUserId, long Credits, string Reason);

    public sealed record TransferRequest(string? ToUserId, JsonElement? Credits, string? Reason);

    public sealed record TransferResponse(
        string UserId, string ToUserId, long EntryId, long Credits, string Reason, long Balance, long Held, long Available, long ToBalance,
        string IdempotencyKey, DateTimeOffset CreatedAt)
    {
        public static TransferResponse From(Transfer t, string key) => new(t.FromAccount, t.ToAccount, t.EntryId, t.Credits, t.Reason,
            t.FromBalance, t.FromHeld, t.FromBalance - t.FromHeld, t.ToBalance, key, DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt));
    }

    private static async Task<Results<Ok<Reassignment>, ProblemHttpResult>> ReassignAsync(
        string checkoutSessionId, HttpRequest request, PaymentReassignments reassignments, CancellationToken cancellationToken)
    {
        if (CreditProblems.ReadKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        var (body, problem) = await JsonBody.ReadAsync<ReassignRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!AccountIds.IsValid(body!.UserId))
        {
            return Problems.BadRequest("Invalid user_id", $"Give the account to move the purchase to as \"user_id\": {AccountIds.Describe}.");
        }
        if (CreditProblems.ReadReason(body.Reason, required: true) is { } invalid)
        {
            return invalid;
        }
        var result = await reassignments.ReassignAsync(checkoutSessionId, body.UserId!, body.Reason!.Trim(), key, cancellationToken);
        if (result.Reassignment is { Replayed: true })
        {
            request.HttpContext.Response.Headers[SpendingApi.ReplayedHeader] = "true";
        }
        return result.Failure switch
        {
            ReassignFailure.NotFound or ReassignFailure.UnknownUser => Problems.NotFound(result.Problem!),
            ReassignFailure.Conflict or ReassignFailure.KeyReused => Problems.Conflict(result.Problem!),
            _ => TypedResults.Ok(result.Reassignment!),
        };
    }

    private static async Task<Results<Ok<TransferResponse>, ProblemHttpResult>> TransferAsync(
        string id, HttpRequest request, Transfers transfers, CreditsMetrics metrics, CancellationToken cancellationToken)
    {
        if (!AccountIds.IsValid(id))
        {
            return CreditProblems.UnknownUser(id);
        }
        if (CreditProblems.ReadKey(request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }
        var (body, problem) = await JsonBody.ReadAsync<TransferRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!AccountIds.IsValid(body!.ToUserId))
        {
            return Problems.BadRequest("Invalid to_user_id", $"Give the account to move the credits to as \"to_user_id\": {AccountIds.Describe}.");
        }
        if (body.ToUserId == id)
        {
            return Problems.BadRequest("Same account", $"to_user_id is '{id}' itself; a transfer moves credits between two different accounts.");
        }
        if ((CreditAmount.ReadCredits(body.Credits, out var credits) ?? CreditProblems.ReadReason(body.Reason, required: true)) is { } invalid)
        {
            return invalid;
        }
        var result = await transfers.TransferAsync(id, body.ToUserId!, credits, body.Reason!.Trim(), key, cancellationToken);
        switch (result.Status)
        {
            case TransferOutcome.Done:
                metrics.CreditsMoved("transferred", credits);
                return TypedResults.Ok(TransferResponse.From(result.Transfer!, key));
            case TransferOutcome.Replayed:
                request.HttpContext.Response.Headers[SpendingApi.ReplayedHeader] = "true";
                return TypedResults.Ok(TransferResponse.From(result.Transfer!, key));
            case TransferOutcome.KeyReused:
                return Problems.Conflict(
                    $"The Idempotency-Key '{key}' was already used on user '{id}' for a different request; send a new key for a new transfer. Nothing was changed.");
            case TransferOutcome.Insufficient:
                return CreditProblems.Insufficient(id, credits, result.Funds!, "this transfer");
            default:
                return CreditProblems.UnknownUser(result.UnknownAccount ?? id);
        }
    }
}
