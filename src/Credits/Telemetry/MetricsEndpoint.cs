namespace Credits.Telemetry;

/// <summary><c>GET /metrics</c>: the Prometheus scrape, with the database-backed gauges refreshed first.</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static WebApplication MapMetrics(this WebApplication app)
    {
        var gauges = app.Services.GetRequiredService<BacklogGauges>();
        app.UseWhen(context => context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase), branch => branch.Use(async (context, next) =>
        {
            await gauges.RefreshAsync(context.RequestAborted);
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(Path);
        return app;
    }
}
