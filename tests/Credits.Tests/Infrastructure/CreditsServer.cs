using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Dapper;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;
using Stripe;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// The real application (same composition as `credits serve`) on an in-memory test server, over a
/// real SQLite file or PostgreSQL database, with a fake clock. Stripe is only ever faked at HTTP.
/// </summary>
public sealed class CreditsServer : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_test_primary_0123456789abcdef";
    public const string ApiKey = "test-api-key-0123456789abcdef";

    private readonly WebApplication _app;

    private CreditsServer(WebApplication app, FakeTimeProvider time)
    {
        _app = app;
        Time = time;
        Client = app.GetTestClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public HttpClient Client { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => _app.Services;

    public LedgerDatabase Database => Services.GetRequiredService<LedgerDatabase>();

    /// <summary>Starts the server; its fake clock starts at <paramref name="now"/>, or the real time.</summary>
    public static async Task<CreditsServer> StartAsync(DatabaseFixture fixture, Action<Dictionary<string, string?>>? configure = null, DateTimeOffset? now = null)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? "");
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = fixture.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = fixture.DataDirectory,
            ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
            ["CREDITS_API_KEY"] = ApiKey,
            ["CREDITS_LIVEMODE"] = null,
        };
        configure?.Invoke(settings);
        var builder = CreditsApp.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var time = new FakeTimeProvider(now ?? DateTimeOffset.UtcNow);
        builder.Services.AddSingleton<TimeProvider>(time);
        var app = builder.Build().MapCredits();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new CreditsServer(app, time);
    }

    /// <summary>Posts a body signed the way Stripe signs it, by the product's signer (checked against Stripe.net's in SignerTests).</summary>
    public Task<HttpResponseMessage> PostEventAsync(string json, string? secret = null, DateTimeOffset? signedAt = null, string path = "/webhooks/stripe") =>
        PostRawAsync(json, Credits.Stripe.TestEvents.SignatureHeader(json, secret ?? WebhookSecret, signedAt ?? Time.GetUtcNow()), path);

    public Task<HttpResponseMessage> PostRawAsync(string body, string? signatureHeader, string path = "/webhooks/stripe")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signatureHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signatureHeader);
        }
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Posts and expects a 200; returns the JSON body.</summary>
    public async Task<JsonElement> DeliverAsync(string json)
    {
        using var response = await PostEventAsync(json);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<long?> BalanceAsync(string userId) =>
        (await Services.GetRequiredService<CreditLedger>().GetAccountAsync(userId, TestContext.Current.CancellationToken))?.Balance;

    public async Task<IReadOnlyList<LedgerEntry>> EntriesAsync(string userId) =>
        await Services.GetRequiredService<CreditLedger>().GetEntriesAsync(userId, null, 1000, TestContext.Current.CancellationToken);

    /// <summary>docs/guarantees.md §3: every account's balance equals the sum of its ledger entries.</summary>
    public async Task AssertBalancesEqualLedgerAsync()
    {
        var drift = await ScalarAsync<long>(
            """
            SELECT COUNT(*) FROM accounts a
            WHERE a.balance <> COALESCE((SELECT SUM(e.amount) FROM ledger_entries e WHERE e.account_id = a.id), 0)
            """);
        Assert.Equal(0, drift);
    }

    public Task<T?> ScalarAsync<T>(string sql, object? args = null) =>
        Database.ReadAsync(c => c.ExecuteScalarAsync<T>(sql, args), TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> PutUserAsync(string id, string? email) =>
        Client.PutAsJsonAsync($"/api/users/{id}", new { email }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
