using Credits.Configuration;

namespace Credits.Webhooks;

/// <summary>The checks on CREDITS_WEBHOOK_URL and CREDITS_WEBHOOK_SECRET and on endpoint URLs given to the API.</summary>
public static class OutboundSettings
{
    /// <summary>Standard Webhooks secrets are 24 to 64 random bytes; fewer than 16 is refused.</summary>
    public const int MinSecretBytes = 16;

    /// <summary>Null when both are unset or both are usable, else one sentence naming the setting.</summary>
    public static string? Problem(string? url, string? secret)
    {
        if (url is null && secret is null)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(url))
        {
            return secret is null
                ? "CREDITS_WEBHOOK_URL is set but empty; set it to the platform's webhook URL (with CREDITS_WEBHOOK_SECRET), or unset it."
                : "CREDITS_WEBHOOK_SECRET is set but CREDITS_WEBHOOK_URL is not; set both (the platform's webhook URL and its whsec_ secret) or neither.";
        }
        if (UrlProblem(url) is { } problem)
        {
            return $"CREDITS_WEBHOOK_URL {problem}.";
        }
        if (string.IsNullOrWhiteSpace(secret))
        {
            return "CREDITS_WEBHOOK_URL is set but CREDITS_WEBHOOK_SECRET is not; set it to a Standard Webhooks secret (whsec_ and the base64 of 24 random bytes, e.g. `echo whsec_$(openssl rand -base64 24)`).";
        }
        return SecretProblem(secret.Trim()) is { } secretProblem
            ? $"CREDITS_WEBHOOK_SECRET {secretProblem}; set it to whsec_ and the base64 of 24 random bytes, e.g. `echo whsec_$(openssl rand -base64 24)`."
            : null;
    }

    /// <summary>Null for an absolute http(s) URL, else what is wrong with it.</summary>
    public static string? UrlProblem(string url) =>
        !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) ? $"'{url}' is not an absolute URL"
        : uri.Scheme is not ("http" or "https") ? $"'{url}' is not an http or https URL"
        : null;

    /// <summary>Null for whsec_ followed by the base64 of at least <see cref="MinSecretBytes"/> bytes (never echoes the secret).</summary>
    public static string? SecretProblem(string secret)
    {
        if (!secret.StartsWith(SecretRules.WebhookPrefix, StringComparison.Ordinal))
        {
            return $"does not start with {SecretRules.WebhookPrefix}";
        }
        var key = new byte[secret.Length];
        return !Convert.TryFromBase64String(secret[SecretRules.WebhookPrefix.Length..], key, out var length) ? $"is not {SecretRules.WebhookPrefix} followed by base64"
            : length < MinSecretBytes ? $"holds {length} bytes after {SecretRules.WebhookPrefix}, fewer than {MinSecretBytes}"
            : null;
    }
}
