using Credits.Ledger.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>Unauthenticated probes: /healthz (process up), /readyz (database reachable, schema current), GET /.</summary>
public static class ServiceEndpoints
{
    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Service");
        app.MapGet("/readyz", ReadyAsync).WithTags("Service");
        app.MapGet("/", (LedgerDatabase database) => TypedResults.Ok(new ServiceResponse(
            "credits", CreditsApp.Version, "ok", database.Provider.ToString().ToLowerInvariant(), "/webhooks/stripe"))).WithTags("Service");
        return app;
    }

    private static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(LedgerDatabase database, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using (var connection = await database.OpenAsync(timeout.Token))
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(timeout.Token);
            }
            return await database.IsSchemaCurrentAsync(timeout.Token)
                ? TypedResults.Ok(new ReadyResponse("ready", null))
                : TypedResults.Json(new ReadyResponse("not ready", "the schema is behind; run `credits migrate`"), statusCode: 503);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException or TimeoutException)
        {
            return TypedResults.Json(new ReadyResponse("not ready", $"database unreachable: {e.Message}"), statusCode: 503);
        }
    }

    public sealed record ReadyResponse(string Status, string? Error);

    public sealed record HealthResponse(string Status);

    public sealed record ServiceResponse(string Service, string Version, string Status, string Database, string Webhook);
}
