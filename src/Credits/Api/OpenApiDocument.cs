using Microsoft.OpenApi;

namespace Credits.Api;

/// <summary>The OpenAPI document at /openapi/v1.json, generated from the mapped routes.</summary>
public static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

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
