using System.Net;
using System.Text;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Hostile;

public sealed class SqliteInvalidUnicodeTests(SqliteFixture db) : InvalidUnicodeTests<SqliteFixture>(db);

public sealed class PostgresInvalidUnicodeTests(PostgresFixture db) : InvalidUnicodeTests<PostgresFixture>(db);

/// <summary>
/// Signed events whose strings are valid JSON but not valid Unicode (a lone surrogate escape, a
/// non-character in an id): 400 problem+json naming the field, stored nowhere, counted.
/// </summary>
public abstract class InvalidUnicodeTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_paid_session_whose_user_id_holds_a_lone_surrogate_is_400_naming_the_field_and_stores_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (eventId, sessionId) = (StripeEvents.NewId("evt"), StripeEvents.NewId("cs_test"));
        var json = StripeEvents.Paid("u_PLACEHOLDER", 50, sessionId, eventId).Replace("u_PLACEHOLDER", "u_\\ud800", StringComparison.Ordinal);

        var problem = await ExpectRefusedAsync(server, json);

        Assert.Contains("data.object.metadata.user_id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(server, eventId, sessionId);
    }

    [Fact]
    public async Task An_unpaid_session_whose_id_holds_a_lone_surrogate_is_400_and_stores_nothing()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (eventId, sessionId, user) = (StripeEvents.NewId("evt"), StripeEvents.NewId("cs_test"), StripeEvents.NewId("u"));
        var session = StripeEvents.CheckoutSession(sessionId: sessionId + "PLACEHOLDER", userId: user, credits: 50, paymentStatus: "unpaid");
        var json = StripeEvents.Completed(session, eventId).Replace("PLACEHOLDER", "\\udc00x", StringComparison.Ordinal);

        var problem = await ExpectRefusedAsync(server, json);

        Assert.Contains("data.object.id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(server, eventId, sessionId);
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM accounts WHERE id = @user", new { user }));
    }

    [Theory]
    [InlineData("\\ud800", "lone_surrogate")]
    [InlineData("\\udfff\\ud800", "lone_surrogate")]
    [InlineData("\\ud83d", "lone_surrogate")]
    [InlineData("\\uffff", "noncharacter")]
    [InlineData("\\ufdd0", "noncharacter")]
    [InlineData("\\ud83f\\udffe", "noncharacter")]
    public async Task Invalid_text_in_an_id_is_refused_and_counted(string escape, string reason)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (eventId, sessionId) = (StripeEvents.NewId("evt"), StripeEvents.NewId("cs_test"));
        var json = StripeEvents.Paid("u_PLACEHOLDER", 50, sessionId, eventId).Replace("u_PLACEHOLDER", "u_" + escape, StringComparison.Ordinal);

        await ExpectRefusedAsync(server, json);

        var metrics = await server.Client.GetStringAsync("/metrics", Cancel);
        Assert.Equal(1, PrometheusText.Value(metrics, "credits_webhook_invalid_events_total", $"reason=\"{reason}\""));
        await AssertNothingStoredAsync(server, eventId, sessionId);
    }

    [Fact]
    public async Task Overlong_and_invalid_UTF8_bytes_in_a_field_are_400_naming_the_field()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var (eventId, sessionId) = (StripeEvents.NewId("evt"), StripeEvents.NewId("cs_test"));
        var valid = Encoding.UTF8.GetBytes(StripeEvents.Paid("u_PLACEHOLDER", 50, sessionId, eventId));
        var at = Encoding.UTF8.GetString(valid).IndexOf("PLACEHOLDER", StringComparison.Ordinal);
        foreach (var bad in new byte[][] { [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xFF] })
        {
            byte[] body = [.. valid[..at], .. bad, .. valid[(at + "PLACEHOLDER".Length)..]];
            using var response = await server.PostSignedBytesAsync(body);
            var text = await response.Content.ReadAsStringAsync(Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("data.object.metadata.user_id", text, StringComparison.Ordinal);
        }
        var metrics = await server.Client.GetStringAsync("/metrics", Cancel);
        Assert.Equal(4, PrometheusText.Value(metrics, "credits_webhook_invalid_events_total", "reason=\"not_utf8\""));
        await AssertNothingStoredAsync(server, eventId, sessionId);
    }

    [Fact]
    public async Task A_surrogate_pair_and_ordinary_non_ASCII_text_are_valid_and_granted()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("granted");
        var session = StripeEvents.CheckoutSession(userId: user, credits: 50);
        session["customer_details"]!["name"] = "Zoë PLACEHOLDER";
        // An escaped surrogate pair (🙂) and U+FFFD are valid Unicode, as raw UTF-8 non-ASCII text is.
        var json = StripeEvents.Completed(session).Replace("PLACEHOLDER", "\\ud83d\\ude42 \\ufffd 🙂", StringComparison.Ordinal);

        var answer = await server.DeliverAsync(json);

        Assert.Equal("granted", answer.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(user));
    }

    private static async Task<JsonElement> ExpectRefusedAsync(CreditsServer server, string json)
    {
        using var response = await server.PostEventAsync(json);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>No stored event, no payment row, no ledger row from it (by session id prefix), and no account but the valid test's granted_ ones.</summary>
    private static async Task AssertNothingStoredAsync(CreditsServer server, string eventId, string sessionId)
    {
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events WHERE id = @eventId", new { eventId }));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM checkout_payments WHERE session_id LIKE @sessionId || '%'", new { sessionId }));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE source_id LIKE @sessionId || '%'", new { sessionId }));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM accounts WHERE id NOT LIKE 'granted\\_%' ESCAPE '\\'"));
    }
}
