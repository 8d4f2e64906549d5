using System.Security.Cryptography;
using System.Text;
using Credits.Ledger.Storage;

namespace Credits.Configuration;

/// <summary>
/// The webhook secrets and API key in force. Whatever the environment does not set is generated
/// once into the data folder, so a fresh checkout works with no set-up (like <c>stripe listen</c>).
/// A generated file is trusted only if it is private (0600) and holds a strong secret.
/// </summary>
public sealed record LocalSecrets(IReadOnlyList<string> WebhookSecrets, bool WebhookSecretGenerated, string ApiKey, bool ApiKeyGenerated, string DataDirectory)
{
    public const string WebhookSecretFile = "webhook-secret";
    public const string ApiKeyFile = "api-key";

    /// <summary>The secrets in force; throws <see cref="SettingsException"/> with one sentence when a setting or file is weak.</summary>
    public static LocalSecrets Resolve(CreditsOptions options)
    {
        if (options.Validate() is { } error)
        {
            throw new SettingsException(error);
        }
        var directory = Path.GetFullPath(options.DataDirectory);
        var configured = options.WebhookSecrets();
        var secrets = configured.Count > 0 ? configured : [ReadOrCreate(directory, WebhookSecretFile, SecretRules.WebhookPrefix)];
        var apiKey = string.IsNullOrWhiteSpace(options.ApiKey) ? ReadOrCreate(directory, ApiKeyFile, "ck_") : options.ApiKey.Trim();
        return new LocalSecrets(secrets, configured.Count == 0, apiKey, string.IsNullOrWhiteSpace(options.ApiKey), directory);
    }

    /// <summary>The generated secret of a data folder, for the CLI's test events; null when there is none or it is not usable.</summary>
    public static string? ReadGenerated(string dataDirectory, string file)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), file);
        var value = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        return value is not null && Problem(path, value) is null ? value : null;
    }

    private static string ReadOrCreate(string directory, string file, string prefix)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            PrivateFiles.CreateDirectory(directory);
            var value = prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            // Two processes starting at once: the first link wins and both read its value below.
            PrivateFiles.CreateAtomically(path, Encoding.UTF8.GetBytes(value));
        }
        var existing = File.ReadAllText(path).Trim();
        return Problem(path, existing) is { } problem ? throw new SettingsException(problem) : existing;
    }

    /// <summary>Why a generated secret file cannot be used (never quoting it), or null.</summary>
    private static string? Problem(string path, string value)
    {
        if (PrivateFiles.OthersCanOpen(path))
        {
            return $"{path} holds a secret that other users can read; run `chmod 600 {path}` (or delete it to generate a new one).";
        }
        var problem = Path.GetFileName(path) == WebhookSecretFile ? SecretRules.WebhookSecretProblem(value) : SecretRules.ApiKeyProblem(value);
        return problem is null ? null : $"{path} {problem}; delete {path} to generate a new one.";
    }
}
