using System.Collections.Frozen;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Dashboard;

/// <summary>
/// GET /dashboard: one HTML page, its stylesheet and script, embedded in the executable. The page needs
/// no key; it asks for the API key and calls /api with it, so nothing here reads data.
/// </summary>
public static class DashboardEndpoints
{
    public const string Path = "/dashboard";

    // Everything the page loads comes from this server: no CDN, no inline script, no framing.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, Asset>
    {
        ["index.html"] = Load("index.html", "text/html; charset=utf-8"),
        ["dashboard.css"] = Load("dashboard.css", "text/css; charset=utf-8"),
        ["dashboard.js"] = Load("dashboard.js", "text/javascript; charset=utf-8"),
    }.ToFrozenDictionary();

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpResponse response) => Serve("index.html", response)).WithTags("Dashboard")
            .WithSummary("The operator dashboard (HTML; it asks for the API key in the browser)");
        app.MapGet(Path + "/{asset}", (string asset, HttpResponse response) => Serve(asset, response)).WithTags("Dashboard")
            .WithSummary("The dashboard's stylesheet and script");
        return app;
    }

    private static Results<FileContentHttpResult, NotFound> Serve(string name, HttpResponse response)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return TypedResults.NotFound();
        }
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Dashboard/" + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded in the executable.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new Asset(copy.ToArray(), contentType);
    }

    private sealed record Asset(byte[] Content, string ContentType);
}
