using Credits.Configuration;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Microsoft.Extensions.Options;

namespace Credits.Webhooks;

/// <summary>Registers the outbound webhook parts: the endpoint table, the configured endpoint and the sender.</summary>
public static class WebhookServices
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddSingleton(sp => new WebhookEndpoints(sp.GetRequiredService<LedgerDatabase>(), sp.GetRequiredService<TimeProvider>()));
        // After SchemaStartup (hosted services start in order): the table exists.
        services.AddHostedService<ConfiguredEndpoint>();
        services.AddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        return services;
    }

    /// <summary>Writes the endpoint of CREDITS_WEBHOOK_URL and CREDITS_WEBHOOK_SECRET at start-up (or disables it when they are unset).</summary>
    private sealed class ConfiguredEndpoint(WebhookEndpoints endpoints, IOptions<CreditsOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            endpoints.ConfigureAsync(options.Value.WebhookUrl?.Trim(), options.Value.OutboundWebhookSecret?.Trim(), cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
