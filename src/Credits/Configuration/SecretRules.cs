namespace Credits.Configuration;

/// <summary>
/// What a secret must look like before Credits trusts it, wherever it came from (environment,
/// appsettings, command line, a generated file): an empty or short key would let anyone sign
/// events or call the API.
/// </summary>
public static class SecretRules
{
    public const string WebhookPrefix = "whsec_";
    public const int MinWebhookSecretChars = 16;
    public const int MinApiKeyChars = 24;

    /// <summary>Null when <paramref name="secret"/> is a usable webhook signing secret, else what is wrong with it (never the secret itself).</summary>
    public static string? WebhookSecretProblem(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return "is empty";
        }
        if (!secret.StartsWith(WebhookPrefix, StringComparison.Ordinal))
        {
            return $"does not start with {WebhookPrefix}";
        }
        var rest = secret.Length - WebhookPrefix.Length;
        return rest < MinWebhookSecretChars
            ? $"has {rest} characters after {WebhookPrefix}, fewer than {MinWebhookSecretChars}"
            : null;
    }

    /// <summary>Null when <paramref name="key"/> is a usable API key, else what is wrong with it.</summary>
    public static string? ApiKeyProblem(string? key) =>
        string.IsNullOrWhiteSpace(key) ? "is empty"
        : key.Length < MinApiKeyChars ? $"has {key.Length} characters, fewer than {MinApiKeyChars}"
        : null;
}
