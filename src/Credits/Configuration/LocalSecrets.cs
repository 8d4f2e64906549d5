using System.Security.Cryptography;

namespace Credits.Configuration;

/// <summary>
/// The webhook secrets and API key in force. Whatever the environment does not set is generated
/// once into the data folder, so a fresh checkout works with no set-up (like <c>stripe listen</c>).
/// </summary>
public sealed record LocalSecrets(IReadOnlyList<string> WebhookSecrets, bool WebhookSecretGenerated, string ApiKey, bool ApiKeyGenerated, string DataDirectory)
{
    public const string WebhookSecretFile = "webhook-secret";
    public const string ApiKeyFile = "api-key";

    public static LocalSecrets Resolve(CreditsOptions options)
    {
        var directory = Path.GetFullPath(options.DataDirectory);
        var configured = options.WebhookSecrets();
        var secrets = configured.Count > 0 ? configured : [ReadOrCreate(directory, WebhookSecretFile, "whsec_")];
        var apiKey = string.IsNullOrWhiteSpace(options.ApiKey) ? ReadOrCreate(directory, ApiKeyFile, "ck_") : options.ApiKey.Trim();
        return new LocalSecrets(secrets, configured.Count == 0, apiKey, string.IsNullOrWhiteSpace(options.ApiKey), directory);
    }

    /// <summary>The generated webhook secret of a data folder, for the CLI's test events; null when there is none.</summary>
    public static string? ReadGenerated(string dataDirectory, string file)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private static string ReadOrCreate(string directory, string file, string prefix)
    {
        if (ReadGenerated(directory, file) is { Length: > 0 } existing)
        {
            return existing;
        }
        Directory.CreateDirectory(directory);
        var value = prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var path = Path.Combine(directory, file);
        var temp = path + ".tmp";
        File.WriteAllText(temp, value);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        // Two processes starting at once: the first rename wins and both read its value.
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
        return File.ReadAllText(path).Trim();
    }
}
