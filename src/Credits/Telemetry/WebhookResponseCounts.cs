using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Credits.Telemetry;

/// <summary>
/// Counts every answer to a webhook delivery by status code (<c>credits_webhook_responses_total{code}</c>),
/// whatever produced it: the handler, a body limit, or an exception the exception handler turns into a 500.
/// The 5xx rate is what Stripe sees as failed deliveries.
/// </summary>
public static class WebhookResponseCounts
{
    public static WebApplication UseWebhookResponseCounts(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<CreditsMetrics>();
        app.UseWhen(IsWebhook, branch => branch.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e)
            {
                // The exception handler (outside this middleware) answers with this status.
                metrics.WebhookAnswered(e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
                throw;
            }
            metrics.WebhookAnswered(context.Response.StatusCode);
        }));
        return app;
    }

    private static bool IsWebhook(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && (context.Request.Path.Equals("/webhooks/stripe", StringComparison.OrdinalIgnoreCase) || context.Request.Path == "/");
}
