using System.Net.Http.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Telemetry;

public sealed class SqliteLogMaskingTests(SqliteFixture db) : LogMaskingTests<SqliteFixture>(db);

public sealed class PostgresLogMaskingTests(PostgresFixture db) : LogMaskingTests<PostgresFixture>(db);

/// <summary>
/// The real server's whole output, through a scenario full of buyers' emails with every secret
/// set in the environment: no email appears in full (only <c>a•••@example.com</c>), no secret at
/// all, and ledger reasons carry masked emails only.
/// </summary>
[Collection(RealServerCollection.Name)]
public abstract class LogMaskingTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task No_email_or_secret_reaches_the_log_in_full()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        const string stripeKey = "sk_test_never_printed_0123456789abcdefghij";
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = db.DataDirectory,
            ["STRIPE_SECRET_KEY"] = stripeKey,
            ["Logging__LogLevel__Default"] = "Information",
        });
        var cancellationToken = TestContext.Current.CancellationToken;
        var tag = Guid.NewGuid().ToString("N")[..8];
        string alice = $"alice.{tag}@example.com", bob = $"bob.{tag}@example.org", carol = $"carol.{tag}@example.net";
        var aliceId = StripeEvents.NewId("u_alice");
        var bobId = StripeEvents.NewId("u_bob");

        (await server.Client.PutAsJsonAsync($"/api/users/{aliceId}", new { email = alice }, cancellationToken)).Dispose();
        // Matched by email, parked for want of an account, and an account whose id is an email.
        await DeliverAsync(server, StripeEvents.Completed(StripeEvents.CheckoutSession(credits: 10, email: alice)));
        await DeliverAsync(server, StripeEvents.Completed(StripeEvents.CheckoutSession(credits: 20, email: bob)));
        await DeliverAsync(server, StripeEvents.Paid(carol, 30));
        // Bob registers: the parked payment is claimed by his email.
        (await server.Client.PutAsJsonAsync($"/api/users/{bobId}", new { email = bob }, cancellationToken)).Dispose();
        var ledger = await server.Client.GetStringAsync($"/api/users/{bobId}/ledger", cancellationToken);
        await Task.Delay(500, cancellationToken); // the console logger writes on its own thread

        var output = server.Output;
        Assert.Contains($"b•••@example.org", ledger, StringComparison.Ordinal);
        Assert.Contains("credits added to user", output, StringComparison.Ordinal);
        Assert.Contains("•••@example.", output, StringComparison.Ordinal);
        foreach (var secret in new[] { alice, bob, carol, CreditsServer.WebhookSecret, CreditsServer.ApiKey, stripeKey })
        {
            Assert.DoesNotContain(secret, output, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotContain(bob, ledger, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(tag, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claimed by email ada@example.com.", "claimed by email a•••@example.com.")]
    [InlineData("user x.y+tag@mail.example.org (session cs_1)", "user x•••@mail.example.org (session cs_1)")]
    [InlineData("Key (email)=(Bob@Example.COM) already exists", "Key (email)=(B•••@Example.COM) already exists")]
    [InlineData("a•••@example.com stays masked", "a•••@example.com stays masked")]
    [InlineData("no address here: @handle, a@b, 5 @ 6", "no address here: @handle, a@b, 5 @ 6")]
    public void Mask_keeps_the_first_character_and_the_domain_of_every_email(string line, string masked) =>
        Assert.Equal(masked, Credits.Telemetry.MaskedConsoleFormatter.Mask(line));

    private static async Task DeliverAsync(ServerProcess server, string json)
    {
        using var response = await server.PostEventAsync(json, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }
}
