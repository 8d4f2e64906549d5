using Credits.Tests.Infrastructure;

namespace Credits.Tests.Configuration;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteSecretStartupTests(SqliteFixture db) : SecretStartupTests<SqliteFixture>(db);

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PostgresSecretStartupTests(PostgresFixture db) : SecretStartupTests<PostgresFixture>(db);

/// <summary>
/// The real `credits serve` refuses a weak secret from any source (environment, command line,
/// generated file) with exit status 2 and one sentence naming the setting or file and what to do,
/// never a stack trace, and never quoting the secret.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public abstract class SecretStartupTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private const string Fifteen = "0123456789abcde";

    public static TheoryData<string, string, string, string> WeakSettings => new()
    {
        // source, name, value, what the sentence must say
        { "env", "STRIPE_WEBHOOK_SECRET", "", "STRIPE_WEBHOOK_SECRET is set but empty" },
        { "env", "STRIPE_WEBHOOK_SECRET", "   ", "STRIPE_WEBHOOK_SECRET is set but empty" },
        { "env", "STRIPE_WEBHOOK_SECRET", "whsec_", "STRIPE_WEBHOOK_SECRET has 0 characters after whsec_, fewer than 16" },
        { "env", "STRIPE_WEBHOOK_SECRET", "whsec_" + Fifteen, "STRIPE_WEBHOOK_SECRET has 15 characters after whsec_, fewer than 16" },
        { "env", "STRIPE_WEBHOOK_SECRET", CreditsServer.WebhookSecret + ",whsec_", "STRIPE_WEBHOOK_SECRET entry 2 has 0 characters after whsec_" },
        { "env", "STRIPE_WEBHOOK_SECRET", CreditsServer.WebhookSecret + ",", "STRIPE_WEBHOOK_SECRET entry 2 is empty" },
        { "env", "STRIPE_WEBHOOK_SECRET", "sk_test_" + Fifteen + Fifteen, "STRIPE_WEBHOOK_SECRET does not start with whsec_" },
        { "env", "CREDITS_API_KEY", "", "CREDITS_API_KEY is set but empty" },
        { "env", "CREDITS_API_KEY", "  ", "CREDITS_API_KEY is set but empty" },
        { "env", "CREDITS_API_KEY", "abcdefghij0123456789xyz", "CREDITS_API_KEY has 23 characters, fewer than 24" },
        { "env", "CREDITS_WEBHOOK_URL", "http://x/h", "CREDITS_WEBHOOK_URL is set but CREDITS_WEBHOOK_SECRET is not" },
        { "env", "CREDITS_WEBHOOK_SECRET", "whsec_MTIzNDU2Nzg5MA==", "CREDITS_WEBHOOK_SECRET is set but CREDITS_WEBHOOK_URL is not" },
        { "arg", "CREDITS_WEBHOOK_URL", "ftp://x", "CREDITS_WEBHOOK_URL 'ftp://x' is not an http or https URL." },
        { "arg", "STRIPE_WEBHOOK_SECRET", "whsec_", "STRIPE_WEBHOOK_SECRET has 0 characters after whsec_" },
        { "arg", "CREDITS_API_KEY", "abcdefghij0123456789xyz", "CREDITS_API_KEY has 23 characters, fewer than 24" },
    };

    [Theory]
    [MemberData(nameof(WeakSettings))]
    public async Task A_weak_setting_stops_start_up_with_status_2_and_one_sentence(string source, string name, string value, string expected)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var environment = Environment(Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N")));
        string[] args = ["serve", "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}"];
        if (source == "env")
        {
            environment[name] = value;
        }
        else
        {
            args = [.. args, $"--{name}={value}"];
        }

        var result = await CreditsProcess.RunAsync(environment, args);

        AssertRefused(result, expected);
        if (value.Trim().Length > 10)
        {
            Assert.DoesNotContain(value, result.All.Replace(expected, "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("verify")]
    [InlineData("reconcile", "--since", "1h")]
    public async Task Every_command_that_reads_the_settings_refuses_a_weak_one_in_one_sentence(params string[] command)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var environment = Environment(Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N")));
        environment["CREDITS_API_KEY"] = "abcdefghij0123456789xyz";

        var result = await CreditsProcess.RunAsync(environment, command);

        AssertRefused(result, "CREDITS_API_KEY has 23 characters, fewer than 24");
    }

    public static TheoryData<string, string, string> WeakFiles => new()
    {
        { "webhook-secret", "", "webhook-secret is empty; delete {path} to generate a new one." },
        { "webhook-secret", " \n", "webhook-secret is empty; delete {path} to generate a new one." },
        { "webhook-secret", "whsec_", "webhook-secret has 0 characters after whsec_, fewer than 16; delete {path} to generate a new one." },
        { "webhook-secret", "whsec_" + Fifteen, "webhook-secret has 15 characters after whsec_, fewer than 16; delete {path}" },
        { "api-key", "", "api-key is empty; delete {path} to generate a new one." },
        { "api-key", "ck_" + Fifteen, "api-key has 18 characters, fewer than 24; delete {path}" },
    };

    [Theory]
    [MemberData(nameof(WeakFiles))]
    public async Task A_weak_generated_secret_file_stops_start_up_and_says_to_delete_it(string file, string contents, string expected)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var path = Path.Combine(data, file);
        File.WriteAllText(path, contents);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = await CreditsProcess.RunAsync(Environment(data), "serve", "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");

        AssertRefused(result, expected.Replace("{path}", path, StringComparison.Ordinal));
        Assert.Equal(contents, File.ReadAllText(path));
    }

    [Theory]
    [InlineData("webhook-secret", UnixFileMode.GroupRead)]
    [InlineData("webhook-secret", UnixFileMode.OtherRead)]
    [InlineData("api-key", UnixFileMode.GroupRead | UnixFileMode.OtherRead)]
    public async Task A_generated_secret_file_others_can_read_is_refused_with_the_chmod_command(string file, UnixFileMode extra)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var path = Path.Combine(data, file);
        var secret = (file == "api-key" ? "ck_" : "whsec_") + Guid.NewGuid().ToString("N");
        File.WriteAllText(path, secret);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var result = await CreditsProcess.RunAsync(Environment(data), "serve", "--urls", $"http://127.0.0.1:{ServerProcess.FreePort()}");

        AssertRefused(result, $"other users can read; run `chmod 600 {path}`");
        Assert.DoesNotContain(secret, result.All, StringComparison.Ordinal);
        // Refused, not "fixed" behind the operator's back: the mode is theirs to change.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | extra, File.GetUnixFileMode(path));
    }

    private Dictionary<string, string?> Environment(string dataDirectory) => new()
    {
        ["DATABASE_URL"] = string.IsNullOrEmpty(db.DatabaseUrl) ? null : db.DatabaseUrl,
        ["CREDITS_DATA_DIR"] = dataDirectory,
    };

    private static void AssertRefused(CreditsProcess.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}, expected 2:\n{result.All}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr:\n{result.Error}");
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.All, StringComparison.Ordinal);
        Assert.True(result.Output.Trim().Length == 0, $"nothing on stdout expected (the server never started):\n{result.Output}");
    }
}
