using System.Net;
using System.Text.Json;
using Credits.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace Credits.Tests.Api;

public sealed class SqliteApiSurfaceTests(SqliteFixture db) : ApiSurfaceTests<SqliteFixture>(db);

public sealed class PostgresApiSurfaceTests(PostgresFixture db) : ApiSurfaceTests<PostgresFixture>(db);

/// <summary>Every route, found from the app's own endpoint table: it needs the key under /api, and the OpenAPI document has it.</summary>
public abstract class ApiSurfaceTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    protected TFixture Db { get; } = db;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static IReadOnlyList<(string Method, string Route)> Routes(CreditsServer server) =>
        [.. server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(r => r.Item2 != "/openapi/{documentName}.json")];

    [Fact]
    public async Task Every_api_route_without_the_bearer_key_is_401_and_changes_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(10);
        using var anonymous = server.AnonymousClient();
        var apiRoutes = Routes(server).Where(r => r.Route.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        Assert.Contains(("POST", "/api/users/{id}/spend"), apiRoutes);

        foreach (var (method, route) in apiRoutes)
        {
            foreach (var authorization in new[] { null, "Bearer wrong-key-0123456789" })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), System.Text.RegularExpressions.Regex.Replace(route, "{[^}]+}", user))
                {
                    Content = method == "GET" ? null : new StringContent("""{"credits":5,"reason":"r","email":"a@b.co"}""", System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", "anonymous");
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }
                using var response = await anonymous.SendAsync(request, Cancel);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {route}: {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.Equal(10, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_route()
    {
        await using var server = await CreditsServer.StartAsync(Db);

        using var response = await server.Client.GetAsync("/openapi/v1.json", Cancel);
        response.EnsureSuccessStatusCode();
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

        var paths = document.GetProperty("paths");
        foreach (var (method, route) in Routes(server).Append(("GET", "/metrics")))
        {
            Assert.True(paths.TryGetProperty(route, out var path), $"{route} is missing from /openapi/v1.json");
            Assert.True(path.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {route} is missing from /openapi/v1.json");
        }
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var spend = paths.GetProperty("/api/users/{id}/spend").GetProperty("post");
        Assert.True(spend.GetProperty("security")[0].TryGetProperty("bearer", out _));
        Assert.True(spend.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(spend.GetProperty("responses").TryGetProperty("402", out _));
        Assert.True(spend.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
    }
}
