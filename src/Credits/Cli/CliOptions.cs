using System.CommandLine;
using Credits.Configuration;

namespace Credits.Cli;

/// <summary>The flags the operator commands share, and where each falls back to when it is not given.</summary>
public static class CliOptions
{
    public const string WebhookPath = "/webhooks/stripe";

    public static Option<Uri> ServerUrl() => Url("--url", "Base URL of the Credits server.", CreditsApp.DefaultUrl);

    public static Option<Uri> WebhookUrl() =>
        Url("--url", "Webhook URL to post to.", CreditsApp.DefaultUrl + WebhookPath);

    public static Option<string?> ApiKey() => new("--api-key")
    {
        Description = "Bearer token for /api (default: CREDITS_API_KEY, else the key `credits serve` generated in the data folder).",
    };

    public static Option<string?> Secret()
    {
        var option = new Option<string?>("--secret")
        {
            Description = "whsec_ signing secret (default: STRIPE_WEBHOOK_SECRET, else the secret `credits serve` generated in the data folder).",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && !value.StartsWith("whsec_", StringComparison.Ordinal))
            {
                result.AddError("--secret must be a Stripe signing secret starting with whsec_.");
            }
        });
        return option;
    }

    public static Option<bool> Json() => new("--json") { Description = "Print the server's JSON answer instead of a table." };

    public static Option<int> Limit(int fallback) => Range("--limit", "How many rows to show (1-200).", fallback, 1, 200);

    public static Option<int> Range(string name, string description, int fallback, int min, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value && (value < min || value > max))
            {
                result.AddError($"{name} must be between {min} and {max}; got {value}.");
            }
        });
        return option;
    }

    /// <summary>--api-key, then CREDITS_API_KEY, then the generated key in CREDITS_DATA_DIR.</summary>
    public static string ResolveApiKey(CliContext context, Option<string?> option) =>
        Resolve(context, context.Get(option), context.Settings.ApiKey?.Trim(), LocalSecrets.ApiKeyFile,
            "No API key: pass --api-key, set CREDITS_API_KEY");

    /// <summary>--secret, then the first STRIPE_WEBHOOK_SECRET, then the generated secret in CREDITS_DATA_DIR.</summary>
    public static string ResolveSecret(CliContext context, Option<string?> option) =>
        Resolve(context, context.Get(option), context.Settings.WebhookSecrets().FirstOrDefault(), LocalSecrets.WebhookSecretFile,
            "No webhook secret: pass --secret whsec_..., set STRIPE_WEBHOOK_SECRET");

    private static string Resolve(CliContext context, string? given, string? configured, string generatedFile, string missing)
    {
        var value = given is { Length: > 0 } ? given
            : configured is { Length: > 0 } ? configured
            : LocalSecrets.ReadGenerated(context.Settings.DataDirectory, generatedFile);
        return value is { Length: > 0 }
            ? value
            : throw new CliException(
                $"{missing}, or start `credits serve` once so it generates one in {Path.GetFullPath(context.Settings.DataDirectory)}.", CliException.Usage);
    }

    private static Option<Uri> Url(string name, string description, string fallback)
    {
        var option = new Option<Uri>(name)
        {
            Description = description,
            DefaultValueFactory = _ => new Uri(fallback),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : fallback;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    return uri;
                }
                result.AddError($"{name} '{text}' is not an absolute http:// or https:// URL, e.g. {fallback}.");
                return null;
            },
        };
        return option;
    }
}
