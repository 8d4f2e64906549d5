using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json;
using Credits.Api;
using Credits.Configuration;
using Credits.Dashboard;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Stripe;
using Credits.Stripe.Api;
using Credits.Telemetry;
using Credits.Webhooks;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Credits;

/// <summary>Composes the web host: the same code runs `credits serve` and the tests.</summary>
public static class CreditsApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static string Version { get; } =
        typeof(CreditsApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json ships beside the executable, wherever it is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            // Render, Heroku, Fly and Cloud Run say where to listen with PORT, on every interface (their router is not loopback).
            builder.WebHost.UseUrls(CreditsOptions.PortUrl(builder.Configuration[CreditsOptions.PortVariable]) ?? DefaultUrl);
        }
        // One line per entry, emails masked (MaskedConsoleFormatter).
        builder.Logging.AddConsole(o => o.FormatterName = MaskedConsoleFormatter.FormatterName)
            .AddConsoleFormatter<MaskedConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        builder.UseServerLimits();
        builder.Services.AddCredits(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddCredits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CreditsOptions>()
            .Bind(configuration)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CreditsOptions>, SettingsValidator>();
        services.AddOptions<PackOptions>()
            .Configure(o => configuration.GetSection(PackOptions.Section).Bind(o.Packs))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PackOptions>, SettingsValidator>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => LocalSecrets.Resolve(sp.GetRequiredService<IOptions<CreditsOptions>>().Value));
        services.AddSingleton(sp => new WebhookSignature(sp.GetRequiredService<LocalSecrets>().WebhookSecrets, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new LedgerDatabase(DatabaseFrom(sp.GetRequiredService<IOptions<CreditsOptions>>().Value)));
        services.AddSingleton<CreditLedger>();
        services.AddSingleton(sp =>
        {
            var database = sp.GetRequiredService<LedgerDatabase>();
            var options = sp.GetRequiredService<IOptions<CreditsOptions>>().Value;
            // SQLite has one writer: one lane. PostgreSQL: a second lane builds a batch while the other waits on its commit.
            var lanes = database.Provider == DatabaseProvider.Sqlite ? 1 : options.WriteLanes;
            var groupCommit = new GroupCommit(database, lanes, options.MaxBatch);
            CreditsMetrics.ObserveGroupCommit(sp.GetRequiredService<IMeterFactory>(), groupCommit);
            return groupCommit;
        });
        services.AddSingleton<Spending>();
        services.AddSingleton<Holds>();
        services.AddSingleton<LotQueries>();
        services.AddSingleton<LotExpiry>();
        services.AddSingleton<PaymentResolver>();
        services.AddSingleton<CheckoutFulfillment>();
        services.AddSingleton<PaymentReversals>();
        services.AddSingleton<UnmatchedPayments>();
        services.AddSingleton<PaymentReassignments>();
        services.AddSingleton<Transfers>();
        services.AddSingleton<EventProcessor>();
        services.AddSingleton<IStripeApi>(sp => new StripeApiClient(sp.GetRequiredService<IOptions<CreditsOptions>>().Value));
        services.AddSingleton<LineItemLookup>();
        services.AddSingleton<SuccessPageFulfillment>();
        services.AddSingleton<CreditsMetrics>();
        services.AddSingleton<RecentLatency>();
        services.AddSingleton<BacklogGauges>();
        services.AddSingleton<ApiKeyFilter>();
        services.AddSingleton<WebhookBodyGate>();
        services.AddHostedService<SchemaStartup>();
        services.AddHostedService<LotExpiryService>();
        services.AddWebhooks();
        services.AddOptions<HostOptions>().Configure<IOptions<CreditsOptions>>((host, credits) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(credits.Value.ShutdownSeconds));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.PropertyNameCaseInsensitive = false;
        });
        services.AddProblemDetails();
        // Only this host's meters (MeterScope.Local): several hosts in one process, as in tests, never mix their numbers.
        services.AddMetrics(metrics => metrics.EnableMetrics(CreditsMetrics.MeterName, scopes: MeterScope.Local));
        services.AddCreditsOpenApi();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("credits", serviceVersion: Version))
            .WithMetrics(metrics => metrics.AddPrometheusExporter());
        return services;
    }

    public static DatabaseSettings DatabaseFrom(CreditsOptions options) =>
        (string.IsNullOrWhiteSpace(options.DatabaseUrl)
            ? DatabaseSettings.Sqlite(options.DataDirectory, options.DatabaseTimeoutSeconds)
            : DatabaseSettings.Postgres(options.DatabaseUrl, options.DatabaseTimeoutSeconds, options.TransactionPooler))
        with { FastPaths = options.FastPaths, Pipeline = options.Pipeline };

    /// <summary>Where schema migrations run: CREDITS_MIGRATION_DATABASE_URL (a direct connection) when set, else the server's database.</summary>
    public static DatabaseSettings MigrationDatabaseFrom(CreditsOptions options) =>
        string.IsNullOrWhiteSpace(options.MigrationDatabaseUrl) || string.IsNullOrWhiteSpace(options.DatabaseUrl)
            ? DatabaseFrom(options)
            : DatabaseSettings.Postgres(options.MigrationDatabaseUrl, options.DatabaseTimeoutSeconds);

    public static WebApplication MapCredits(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebhookResponseCounts();
        app.MapServiceEndpoints();
        app.MapMetrics();
        app.MapOpenApi();
        app.MapStripeWebhook();
        app.MapDashboard();
        var api = app.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
        api.MapUsersApi();
        api.MapLotsApi();
        api.MapPacksApi();
        api.MapPaymentsApi();
        api.MapEventsApi();
        api.MapCheckoutApi();
        api.MapStatsApi();
        api.MapUsersListApi();
        api.MapSpendingApi();
        api.MapHoldsApi();
        api.MapMovesApi();
        api.MapWebhooksApi();
        return app;
    }

    /// <summary>Turns each settings check into a start-up error that names the setting.</summary>
    private sealed class SettingsValidator : IValidateOptions<CreditsOptions>, IValidateOptions<PackOptions>
    {
        public ValidateOptionsResult Validate(string? name, CreditsOptions options) =>
            options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;

        public ValidateOptionsResult Validate(string? name, PackOptions options) =>
            options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
    }
}
