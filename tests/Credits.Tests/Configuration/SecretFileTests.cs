using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Credits.Configuration;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Configuration;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteSecretFileTests(SqliteFixture db) : SecretFileTests<SqliteFixture>(db);

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PostgresSecretFileTests(PostgresFixture db) : SecretFileTests<PostgresFixture>(db);

/// <summary>
/// Data at rest is private: the folder Credits creates is 0700, generated secrets and the SQLite
/// files 0600 (checked with stat on the real server process), generated secrets are written
/// atomically, and the CLI and API keep working with them.
/// </summary>
[Collection(RealServerCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public abstract class SecretFileTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task A_fresh_data_folder_is_0700_and_every_file_in_it_0600()
    {
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"), "data");
        await using var server = await ServerProcess.StartAsync(Generated(data));

        // A write while the server runs, so SQLite's -wal and -shm exist.
        var apiKey = File.ReadAllText(Path.Combine(data, LocalSecrets.ApiKeyFile)).Trim();
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/users/u_modes") { Content = JsonContent.Create(new { email = "modes@example.com" }) };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using (var response = await server.Client.SendAsync(put, TestContext.Current.CancellationToken))
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}\n{server.Output}");
        }

        Assert.Equal("700", await StatAsync(data));
        Assert.Equal("700", await StatAsync(Path.GetDirectoryName(data)!));
        string[] files = string.IsNullOrEmpty(db.DatabaseUrl)
            ? [LocalSecrets.WebhookSecretFile, LocalSecrets.ApiKeyFile, "credits.db", "credits.db-wal", "credits.db-shm"]
            : [LocalSecrets.WebhookSecretFile, LocalSecrets.ApiKeyFile];
        foreach (var file in files)
        {
            var path = Path.Combine(data, file);
            Assert.True(File.Exists(path), $"{file} was not created: {string.Join(", ", Directory.GetFiles(data))}");
            Assert.Equal("600", await StatAsync(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        // No temporary file is left beside the secrets.
        Assert.Empty(Directory.GetFiles(data, "*.tmp"));
    }

    [Fact]
    public async Task Send_test_event_and_the_api_work_with_the_generated_secrets_and_forgeries_do_not()
    {
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
        await using var server = await ServerProcess.StartAsync(Generated(data));
        var user = StripeEvents.NewId("u_generated");

        // No --secret: the CLI reads the secret `serve` generated in CREDITS_DATA_DIR.
        var sent = await CreditsProcess.RunAsync(
            new Dictionary<string, string?> { ["CREDITS_DATA_DIR"] = data },
            "send-test-event", "--user", user, "--credits", "25", "--url", new Uri(server.BaseAddress, "/webhooks/stripe").ToString());
        Assert.True(sent.ExitCode == 0, sent.All);

        foreach (var forged in new[] { "", "whsec_", "whsec_" + new string('a', 40) })
        {
            var forger = StripeEvents.NewId("u_forger");
            var result = await CreditsProcess.RunAsync(
                new Dictionary<string, string?> { ["CREDITS_DATA_DIR"] = data },
                "send-test-event", "--user", forger, "--credits", "1000000", "--url", new Uri(server.BaseAddress, "/webhooks/stripe").ToString(),
                "--secret", forged);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Equal(HttpStatusCode.NotFound, (await GetUserAsync(server, data, forger)).StatusCode);
        }

        using var account = await GetUserAsync(server, data, user);
        Assert.Equal(HttpStatusCode.OK, account.StatusCode);
        Assert.Contains("\"balance\":25", await account.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        // The generated key is the only one: the test suite's key is refused.
        using var other = await server.Client.GetAsync($"/api/users/{user}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }

    [Fact]
    public async Task Processes_generating_secrets_at_once_agree_on_one_whole_file()
    {
        // Twenty rounds of 16 writers racing on a fresh folder: a replace-on-rename would show.
        for (var round = 0; round < 20; round++)
        {
            var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
            // A crash mid-write in an earlier run leaves only a temporary file behind: never the secret.
            Directory.CreateDirectory(data);
            File.WriteAllText(Path.Combine(data, ".webhook-secret.0123.tmp"), "whsec_");
            var options = new CreditsOptions { DataDirectory = data };
            using var start = new Barrier(16);

            var writers = Enumerable.Range(0, 16)
                .Select(_ => Task.Factory.StartNew(() =>
                {
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    return LocalSecrets.Resolve(options);
                }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default))
                .ToList();
            var resolved = await Task.WhenAll(writers);

            var webhook = Assert.Single(resolved.Select(r => r.WebhookSecrets.Single()).Distinct());
            var apiKey = Assert.Single(resolved.Select(r => r.ApiKey).Distinct());
            Assert.Equal(webhook, File.ReadAllText(Path.Combine(data, LocalSecrets.WebhookSecretFile)));
            Assert.Equal(apiKey, File.ReadAllText(Path.Combine(data, LocalSecrets.ApiKeyFile)));
            Assert.Null(SecretRules.WebhookSecretProblem(webhook));
            Assert.Null(SecretRules.ApiKeyProblem(apiKey));
            // Only the earlier run's leftover remains: none of these 32 writers left one.
            Assert.Equal([".webhook-secret.0123.tmp"], Directory.GetFiles(data, "*.tmp").Select(Path.GetFileName));
        }
    }

    [Fact]
    public async Task An_existing_database_others_can_read_is_narrowed_to_0600()
    {
        Assert.SkipWhen(!string.IsNullOrEmpty(db.DatabaseUrl), "only SQLite keeps its data in files");
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "credits.db");
        File.WriteAllBytes(file, []);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var server = await ServerProcess.StartAsync(Generated(data));

        Assert.Equal("600", await StatAsync(file));
    }

    private Dictionary<string, string?> Generated(string data)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        return new()
        {
            ["DATABASE_URL"] = db.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = data,
            ["STRIPE_WEBHOOK_SECRET"] = "",
            ["CREDITS_API_KEY"] = "",
        };
    }

    private static async Task<HttpResponseMessage> GetUserAsync(ServerProcess server, string data, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{user}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(data, LocalSecrets.ApiKeyFile)).Trim());
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> StatAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%a", path]) { RedirectStandardOutput = true })!;
        var mode = await stat.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await stat.WaitForExitAsync(TestContext.Current.CancellationToken);
        return mode.Trim();
    }
}
