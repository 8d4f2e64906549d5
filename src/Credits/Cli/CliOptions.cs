using System.CommandLine;
using Credits.Configuration;

namespace Credits.Cli;

/// <summary>The flags the operator commands share, and where each falls back to when it is not given.</summary>
public static class CliOptions
{
    public const string WebhookPath = "/webhooks/stripe";

    public static Option<Uri> ServerUrl() => Url("--url", $"Base URL of the Credits server (default {CreditsApp.DefaultUrl}).", CreditsApp.DefaultUrl);

    public static Option<Uri> WebhookUrl() =>
        Url("--url", $"Webhook URL to post to (default {CreditsApp.DefaultUrl}{WebhookPath}).", CreditsApp.DefaultUrl + WebhookPath);

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

    public static Option<int> Limit(int fallback) => Range("--limit", $"How many rows to show (1-200, default {fallback}).", fallback, 1, 200);

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
    public static string ResolveApiKey(CliContext context, Option<string?> option)
    {
        var key = context.Get(option) is { Length: > 0 } given ? given
            : context.Settings.ApiKey is { Length: > 0 } configured ? configured.Trim()
            : LocalSecrets.ReadGenerated(context.Settings.DataDirectory, LocalSecrets.ApiKeyFile);
        return key is { Length: > 0 }
            ? key
            : throw new CliException(
                $"No API key: pass --api-key, set CREDITS_API_KEY, or start `credits serve` once so it generates one in {DataFolder(context)}.",
                CliException.Usage);
    }

    /// <summary>--secret, then the first STRIPE_WEBHOOK_SECRET, then the generated secret in CREDITS_DATA_DIR.</summary>
    public static string ResolveSecret(CliContext context, Option<string?> option)
    {
        var secret = context.Get(option) is { Length: > 0 } given ? given
            : context.Settings.WebhookSecrets() is [var configured, ..] ? configured
            : LocalSecrets.ReadGenerated(context.Settings.DataDirectory, LocalSecrets.WebhookSecretFile);
        return secret is { Length: > 0 }
            ? secret
            : throw new CliException(
                $"No webhook secret: pass --secret whsec_..., set STRIPE_WEBHOOK_SECRET, or start `credits serve` once so it generates one in {DataFolder(context)}.",
                CliException.Usage);
    }

    private static string DataFolder(CliContext context) => Path.GetFullPath(context.Settings.DataDirectory);

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
