using Credits.Configuration;
using Credits.Ledger;
using Credits.Stripe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>The operator queue: payments parked as unmatched, and assigning them to a user.</summary>
public static class PaymentsApi
{
    public static RouteGroupBuilder MapPaymentsApi(this RouteGroupBuilder api)
    {
        var payments = api.MapGroup("/payments").WithTags("Payments");
        payments.MapGet("/unmatched", ListAsync);
        payments.MapPost("/{checkoutSessionId}/assign", AssignAsync);
        return api;
    }

    /// <summary><see cref="ReasonCode"/> and <see cref="Candidates"/> say why a payment is parked and whom it may belong to.</summary>
    public sealed record PaymentResponse(
        string CheckoutSessionId, string Status, string? UserId, long? Credits, long? AmountTotal, string? Currency, string? Email,
        string? CustomerId, string? PaymentIntent, string? Reason, string? ReasonCode, IReadOnlyList<Candidate> Candidates,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static PaymentResponse From(CheckoutPayment p) => new(p.SessionId, p.Status, p.AccountId, p.Credits, p.AmountTotal, p.Currency,
            p.Email, p.CustomerId, p.PaymentIntent, p.Reason, p.ReasonCode, CandidateList.Read(p.Candidates),
            DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAt));
    }

    public sealed record PaymentList(IReadOnlyList<PaymentResponse> Payments);

    public sealed record AssignRequest(string? UserId, long? Credits);

    public sealed record AssignResponse(string CheckoutSessionId, string Status, string? UserId, long CreditsAdded, long? Balance);

    private static async Task<Results<Ok<PaymentList>, ProblemHttpResult>> ListAsync(UnmatchedPayments unmatched, CancellationToken cancellationToken, int? limit = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        var payments = await unmatched.ListAsync(limit ?? 50, cancellationToken);
        return TypedResults.Ok(new PaymentList([.. payments.Select(PaymentResponse.From)]));
    }

    private static async Task<Results<Ok<AssignResponse>, ProblemHttpResult>> AssignAsync(
        string checkoutSessionId, HttpRequest request, UnmatchedPayments unmatched, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<AssignRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!AccountIds.IsValid(body!.UserId))
        {
            return Problems.BadRequest("Invalid user_id", $"Give the account to grant to as \"user_id\": {AccountIds.Describe}.");
        }
        if (body.Credits is < 1 or > CreditLimits.MaxCredits)
        {
            return Problems.BadRequest("Invalid credits", $"\"credits\", when given, must be a whole number between 1 and {CreditLimits.MaxCredits}.");
        }
        var result = await unmatched.AssignAsync(checkoutSessionId, body.UserId!, body.Credits, cancellationToken);
        return result.Failure switch
        {
            AssignFailure.NotFound => Problems.NotFound(result.Problem!),
            AssignFailure.Conflict => Problems.Conflict(result.Problem!),
            AssignFailure.NeedsCredits => Problems.BadRequest("Credits needed", result.Problem!),
            _ => TypedResults.Ok(new AssignResponse(checkoutSessionId, result.Outcome!.Status, result.Outcome.UserId, result.Outcome.CreditsAdded, result.Outcome.Balance)),
        };
    }
}
