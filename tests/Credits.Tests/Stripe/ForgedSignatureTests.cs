using System.Net;
using Credits.Configuration;
using Credits.Stripe;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteForgedSignatureTests(SqliteFixture db) : ForgedSignatureTests<SqliteFixture>(db);

public sealed class PostgresForgedSignatureTests(PostgresFixture db) : ForgedSignatureTests<PostgresFixture>(db);

/// <summary>
/// Nobody mints credits: an event signed with an empty key, with a bare "whsec_", or with any key
/// that is not a configured secret is refused and grants nothing, whichever way the secrets were
/// configured (one, several for rotation, or generated into the data folder).
/// </summary>
public abstract class ForgedSignatureTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private const string Rotated = "whsec_rotated_secret_fedcba9876543210";

    public static TheoryData<string> Configurations => ["one secret", "two secrets", "generated"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Events_signed_with_a_key_that_is_not_configured_never_grant(string configuration)
    {
        var data = Path.Combine(db.DataDirectory, Guid.NewGuid().ToString("N"));
        await using var server = await CreditsServer.StartAsync(db, s =>
        {
            s["CREDITS_DATA_DIR"] = data;
            s["STRIPE_WEBHOOK_SECRET"] = configuration switch
            {
                "one secret" => CreditsServer.WebhookSecret,
                "two secrets" => $"{CreditsServer.WebhookSecret},{Rotated}",
                _ => null,
            };
        });
        var configured = server.Services.GetRequiredService<LocalSecrets>().WebhookSecrets;
        Assert.Equal(configuration == "generated", server.Services.GetRequiredService<LocalSecrets>().WebhookSecretGenerated);
        string[] forged =
        [
            "", "whsec_", " ", "whsec_ ", configured[0][..^1], configured[0] + "0", configured[0].ToUpperInvariant(),
            configured[0].Replace("whsec_", "", StringComparison.Ordinal), "whsec_" + new string('0', 48), CreditsServer.WebhookSecret + "x",
        ];
        var storedBefore = await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events");
        foreach (var key in forged)
        {
            var user = StripeEvents.NewId("u_forger");
            using var response = await server.PostEventAsync(StripeEvents.Paid(user, 1_000_000), secret: key);

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"key '{key}' was answered {(int)response.StatusCode}");
            Assert.Null(await server.BalanceAsync(user));
            Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @user", new { user }));
        }
        Assert.Equal(storedBefore, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events"));

        // The same event signed with each configured secret does grant: the refusals above are about the key.
        foreach (var secret in configured)
        {
            var user = StripeEvents.NewId("u_real");
            using var response = await server.PostEventAsync(StripeEvents.Paid(user, 5), secret: secret);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(5, await server.BalanceAsync(user));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_0123456789abcde")]
    public void The_signature_checker_itself_refuses_a_weak_key(string weak)
    {
        Assert.Throws<ArgumentException>(() => new WebhookSignature([weak], TimeProvider.System));
        Assert.Throws<ArgumentException>(() => new WebhookSignature([CreditsServer.WebhookSecret, weak], TimeProvider.System));
        Assert.Throws<ArgumentException>(() => new WebhookSignature([], TimeProvider.System));
    }
}
