using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>problem+json answers, each with a sentence a person can act on.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title);

    public const int MaxPageSize = 200;

    /// <summary>Null when a page size is absent or allowed.</summary>
    public static ProblemHttpResult? InvalidLimit(int? limit) =>
        limit is < 1 or > MaxPageSize ? BadRequest("Invalid limit", $"limit must be between 1 and {MaxPageSize}.") : null;

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult PayloadTooLarge(int limit) =>
        TypedResults.Problem($"The body is larger than {limit} bytes; Stripe events are far smaller.",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    public static ProblemHttpResult Busy(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Server busy");

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable");
}
