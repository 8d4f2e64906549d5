using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Credits.Tests.Infrastructure;

/// <summary>The spending routes as a client calls them: JSON bodies and an Idempotency-Key header.</summary>
public static class SpendingRequests
{
    public static Task<HttpResponseMessage> SpendAsync(this CreditsServer server, string user, long credits, string? key, string? reason = "resume match") =>
        server.PostJsonAsync($"/api/users/{user}/spend", JsonSerializer.Serialize(new { credits, reason }), key);

    public static Task<HttpResponseMessage> GrantAsync(this CreditsServer server, string user, long credits, string? key, string? reason = "goodwill") =>
        server.PostJsonAsync($"/api/users/{user}/grants", JsonSerializer.Serialize(new { credits, reason }), key);

    /// <summary>A new hold; without <paramref name="key"/>, under a new Idempotency-Key (the header is required).</summary>
    public static Task<HttpResponseMessage> HoldAsync(this CreditsServer server, string user, long credits, int? ttlSeconds = null, string? key = null) =>
        server.PostJsonAsync($"/api/users/{user}/holds", JsonSerializer.Serialize(new { credits, ttl_seconds = ttlSeconds }), key ?? StripeEvents.NewId("hold"));

    /// <summary>The Idempotency-Key is optional on capture and release: none is sent unless given.</summary>
    public static Task<HttpResponseMessage> CaptureAsync(this CreditsServer server, string holdId, long? credits = null, string? key = null) =>
        server.PostJsonAsync($"/api/holds/{holdId}/capture", credits is null ? null : JsonSerializer.Serialize(new { credits }), key);

    public static Task<HttpResponseMessage> ReleaseAsync(this CreditsServer server, string holdId, string? key = null) =>
        server.PostJsonAsync($"/api/holds/{holdId}/release", null, key);

    public static Task<HttpResponseMessage> PostJsonAsync(this CreditsServer server, string path, string? json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A client of the same server that sends no Authorization header unless told to.</summary>
    public static HttpClient AnonymousClient(this CreditsServer server) =>
        new(((Microsoft.AspNetCore.TestHost.TestServer)server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()).CreateHandler())
        {
            BaseAddress = server.Client.BaseAddress,
        };

    /// <summary>A user with this balance, made through the public API (PUT, then a grant).</summary>
    public static async Task<string> UserWithAsync(this CreditsServer server, long balance)
    {
        var user = StripeEvents.NewId("u");
        (await server.PutUserAsync(user, null)).EnsureSuccessStatusCode();
        if (balance > 0)
        {
            await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, balance, $"seed-{user}"));
        }
        return user;
    }

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonElement> ExpectAsync(this CreditsServer server, HttpStatusCode status, Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> UserAsync(this CreditsServer server, string user) =>
        await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}", TestContext.Current.CancellationToken));

    /// <summary>balance == sum of the ledger == sum of the lots' remainders - debt, and held == the active holds, straight from the tables.</summary>
    public static async Task AssertConsistentAsync(this CreditsServer server, string user)
    {
        var balance = await server.ScalarAsync<long>("SELECT balance FROM accounts WHERE id = @user", new { user });
        var sum = await server.ScalarAsync<long>("SELECT CAST(COALESCE(SUM(amount), 0) AS bigint) FROM ledger_entries WHERE account_id = @user", new { user });
        Assert.Equal(sum, balance);
        var lots = await server.ScalarAsync<long>(
            "SELECT CAST(COALESCE(SUM(remaining), 0) AS bigint) - MAX(a.debt) FROM accounts a LEFT JOIN credit_lots l ON l.account_id = a.id WHERE a.id = @user",
            new { user });
        Assert.Equal(balance, lots);
        var held = await server.ScalarAsync<long>("SELECT held FROM accounts WHERE id = @user", new { user });
        var active = await server.ScalarAsync<long>(
            "SELECT CAST(COALESCE(SUM(credits), 0) AS bigint) FROM holds WHERE account_id = @user AND status = 'active'", new { user });
        Assert.Equal(active, held);
    }
}
