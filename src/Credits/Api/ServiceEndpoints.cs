using System.Text.Json.Serialization;
using Credits.Ledger.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary>Unauthenticated probes: /healthz (process up), /readyz (database reachable, schema current), GET /.</summary>
public static partial class ServiceEndpoints
{
    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Service");
        app.MapGet("/readyz", ReadyAsync).WithTags("Service");
        app.MapGet("/", (LedgerDatabase database) => TypedResults.Ok(new ServiceResponse(
            "credits", CreditsApp.Version, "ok", database.Provider.ToString().ToLowerInvariant(), "/webhooks/stripe"))).WithTags("Service");
        return app;
    }

    /// <summary>
    /// Anyone may ask whether the server is ready, but only the status is theirs: why it is not
    /// ready (database exception text, host names) goes to the log, and to callers with the API key.
    /// </summary>
    private static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(
        HttpRequest request, LedgerDatabase database, ApiKeyFilter apiKey, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        string? problem;
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
            problem = await database.IsSchemaCurrentAsync(timeout.Token) ? null : "the schema is behind; run `credits migrate`";
        }
        catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException or TimeoutException)
        {
            problem = $"database unreachable: {e.Message}";
        }
        if (problem is null)
        {
            return TypedResults.Ok(new ReadyResponse("ready", null));
        }
        Log.NotReady(loggers.CreateLogger("Credits.Readiness"), problem);
        return TypedResults.Json(new ReadyResponse("not ready", apiKey.IsAuthorized(request) ? problem : null), statusCode: 503);
    }

    /// <summary><c>error</c> is only sent to callers with the API key.</summary>
    public sealed record ReadyResponse(string Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

    public sealed record HealthResponse(string Status);

    public sealed record ServiceResponse(string Service, string Version, string Status, string Database, string Webhook);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Not ready: {Problem}")]
        public static partial void NotReady(ILogger logger, string problem);
    }
}
