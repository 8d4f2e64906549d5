using System.CommandLine;
using System.Data.Common;
using Credits.Configuration;
using Credits.Ledger.Storage;
using Microsoft.Extensions.Options;

namespace Credits.Cli;

public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen (default {CreditsApp.DefaultUrl})." };
        var command = new Command("serve", """
            Run the server: the Stripe webhook, the API, /metrics and the probes.
            Uses SQLite under ./data unless DATABASE_URL is set. Any setting can also be passed as --NAME=value.

            Example: credits serve --urls http://0.0.0.0:8080
            """)
        {
            urls,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var args = context.Parse.UnmatchedTokens.ToList();
            if (context.Parse.GetValue(urls) is { } value)
            {
                args.Add($"--urls={value}");
            }
            var app = CreditsApp.CreateBuilder([.. args]).Build().MapCredits();
            // Settings and secret files are checked before anything listens.
            _ = app.Services.GetRequiredService<LocalSecrets>();
            app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app));
            ShutdownDeadline.Enforce(app);
            // An unreachable database (or one that refuses the URL's settings) is one line, not a
            // stack trace; the connection opened here goes back to the pool for the first requests.
            var database = app.Services.GetRequiredService<LedgerDatabase>();
            try
            {
                await (await database.OpenAsync(cancellationToken)).DisposeAsync();
            }
            catch (DbException e)
            {
                await context.Error.WriteLineAsync(
                    $"error: {database.Settings.Describe()}: {e.Message.TrimEnd('.')}; check DATABASE_URL (docs/database.md).");
                return CliException.Failed;
            }
            // SIGTERM (each deploy) is handled by the host: listeners close, in-flight requests finish
            // for up to CREDITS_SHUTDOWN_SECONDS, then RunAsync returns and the exit code is 0.
            await app.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>Like <c>stripe listen</c>, shows the local secrets it generated; never one that came from the environment.</summary>
    private static void PrintBanner(WebApplication app)
    {
        var secrets = app.Services.GetRequiredService<LocalSecrets>();
        var database = app.Services.GetRequiredService<LedgerDatabase>();
        var url = app.Urls.FirstOrDefault() ?? CreditsApp.DefaultUrl;
        Console.WriteLine($"Credits {CreditsApp.Version} listening on {string.Join(", ", app.Urls)} ({database.Settings.Describe()})");
        Console.WriteLine(secrets.WebhookSecretGenerated
            ? $"Webhook signing secret (generated, kept in {Path.Combine(secrets.DataDirectory, LocalSecrets.WebhookSecretFile)}): {secrets.WebhookSecrets[0]}"
            : $"Webhook signing secrets: {secrets.WebhookSecrets.Count} from STRIPE_WEBHOOK_SECRET");
        Console.WriteLine(secrets.ApiKeyGenerated
            ? $"API key (generated, kept in {Path.Combine(secrets.DataDirectory, LocalSecrets.ApiKeyFile)}): {secrets.ApiKey}"
            : "API key: from CREDITS_API_KEY");
        Console.WriteLine($"Forward Stripe events: stripe listen --forward-to {url.TrimEnd('/')}/webhooks/stripe");
    }
}
