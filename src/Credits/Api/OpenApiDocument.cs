using Microsoft.OpenApi;

namespace Credits.Api;

/// <summary>The OpenAPI document at /openapi/v1.json, generated from the mapped routes.</summary>
public static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

    private const string BearerScheme = "bearer";

    public static IServiceCollection AddCreditsOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Credits";
                document.Info.Version = CreditsApp.Version;
                document.Info.Description =
                    "Stripe Checkout payments in, prepaid credits out, exactly once. Every /api route needs "
                    + "Authorization: Bearer <CREDITS_API_KEY>; errors are problem+json. See docs/api.md.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The CREDITS_API_KEY (printed by `credits serve` when it generated one).",
                };
                var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };
                foreach (var (_, item) in document.Paths.Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal)))
                {
                    foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                    {
                        operation.Security = [bearer];
                        operation.Responses ??= [];
                        operation.Responses["401"] = new OpenApiResponse { Description = "No or wrong bearer key (problem+json)." };
                    }
                }
                // The Prometheus exporter maps a bare RequestDelegate, which API Explorer does not see.
                document.Paths["/metrics"] = new OpenApiPathItem
                {
                    Operations = new Dictionary<HttpMethod, OpenApiOperation>
                    {
                        [HttpMethod.Get] = new()
                        {
                            Summary = "Counters and histograms in Prometheus text format (no key needed)",
                            Responses = new OpenApiResponses { ["200"] = new OpenApiResponse { Description = "Prometheus text exposition format." } },
                        },
                    },
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<JsonBodyMetadata>().LastOrDefault() is { } body)
                {
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = body.Required,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken) },
                        },
                    };
                }
            });
        });

    /// <summary>Documents the JSON body of a handler that reads <see cref="HttpRequest"/> itself.</summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.WithMetadata(new JsonBodyMetadata(typeof(T), required));
}

/// <summary>
/// Describes a body that the handler reads itself (<see cref="JsonBody"/>, for clear 400s), so the
/// OpenAPI document shows it. Unlike Accepts(), it does not make routing answer 415.
/// </summary>
public sealed record JsonBodyMetadata(Type Type, bool Required);
