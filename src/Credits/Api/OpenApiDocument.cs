namespace Credits.Api;

/// <summary>The OpenAPI document at /openapi/v1.json, generated from the mapped routes.</summary>
public static class OpenApiDocument
{
    public static IServiceCollection AddCreditsOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Credits";
            document.Info.Version = CreditsApp.Version;
            document.Info.Description =
                "Stripe Checkout payments in, prepaid credits out, exactly once. Every /api route needs Authorization: Bearer <CREDITS_API_KEY>; errors are problem+json.";
            return Task.CompletedTask;
        }));
}
