using System.Net.Http.Headers;
using Credits.Ledger;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// The real application listening on Kestrel at a free loopback port, for commands that speak HTTP
/// to a server. Real clock: the CLI signs events with the time of day, like Stripe does.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LiveServer(WebApplication app, string webhookSecret)
    {
        _app = app;
        WebhookSecret = webhookSecret;
        BaseUrl = app.Urls.Single().TrimEnd('/');
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CreditsServer.ApiKey);
    }

    public string BaseUrl { get; }

    public string WebhookUrl => BaseUrl + "/webhooks/stripe";

    public string WebhookSecret { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<LiveServer> StartAsync(DatabaseFixture fixture, string webhookSecret = CreditsServer.WebhookSecret)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? "");
        var builder = CreditsApp.CreateBuilder(["--urls=http://127.0.0.1:0"]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = fixture.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = fixture.DataDirectory,
            ["STRIPE_WEBHOOK_SECRET"] = webhookSecret,
            ["CREDITS_API_KEY"] = CreditsServer.ApiKey,
            ["CREDITS_LIVEMODE"] = null,
        });
        builder.Logging.ClearProviders();
        var app = builder.Build().MapCredits();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new LiveServer(app, webhookSecret);
    }

    /// <summary>Posts a body signed now with this server's secret, the way Stripe signs each delivery attempt.</summary>
    public async Task<System.Text.Json.JsonElement> DeliverAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Credits.Stripe.TestEvents.SignatureHeader(json, WebhookSecret, DateTimeOffset.UtcNow));
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<long?> BalanceAsync(string userId) =>
        (await Services.GetRequiredService<CreditLedger>().GetAccountAsync(userId, TestContext.Current.CancellationToken))?.Balance;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
