using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;
using CsCheck;

namespace Credits.Tests.Hostile;

public sealed class SqliteHostileWebhookTests(SqliteFixture db) : HostileWebhookTests<SqliteFixture>(db);

public sealed class PostgresHostileWebhookTests(PostgresFixture db) : HostileWebhookTests<PostgresFixture>(db);

/// <summary>
/// docs/guarantees.md §5, bad input gets a clear 4xx and changes nothing: hostile bodies and headers through the
/// real HTTP pipeline, on both databases. Every answer is a 4xx or a stored ignored/unmatched/pending
/// 200, never a 5xx, and nothing in this class ever reaches the ledger.
/// </summary>
public abstract class HostileWebhookTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static readonly string[] NotGranted = ["ignored", "unmatched", "pending"];

    /// <summary>metadata.credits values no payment may be granted for (as JSON).</summary>
    private static readonly string[] AbsurdCredits =
    [
        "\"-5\"", "\"0\"", "\"-0\"", "\"1e3\"", "\"50.0\"", "\" 50\"", "\"50 \"", "\"+50\"", "\"0x32\"", "\"５０\"", "\"\"", "\"fifty\"",
        "\"10000001\"", "\"9223372036854775807\"", "\"9223372036854775808\"", "\"99999999999999999999999999\"", "\"50\\u0000\"",
        "50", "-50", "1e400", "true", "null", "[50]", "{\"value\":50}",
    ];

    private static readonly string[] HostileText =
    [
        "u_ok", "", " ", "u\u0000nul", "\\u0000", new string('x', 5000), "u 1", "u_\u202Eevil", "'; DROP TABLE accounts; --", "../../etc/passwd", "🙂",
    ];

    [Fact]
    public async Task Hostile_checkout_events_are_refused_or_parked_never_granted_and_never_a_5xx()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var events = Gen.Select(Gen.Int[0, AbsurdCredits.Length - 1], Gen.Int[0, HostileText.Length - 1], Gen.Int[0, HostileText.Length - 1],
            Gen.Int.Array[0, 4], Gen.Int.Array[4], Gen.Bool).Select((credits, user, sessionId, targets, choices, paidLater) =>
        {
            var session = StripeEvents.CheckoutSession(userId: HostileText[user], amountTotal: 123);
            session["metadata"]!["credits"] = JsonNode.Parse(AbsurdCredits[credits]);
            if (sessionId > 0)
            {
                session["id"] = "cs_" + HostileText[sessionId];
            }
            var root = JsonNode.Parse(StripeEvents.Event(paidLater ? "checkout.session.async_payment_succeeded" : "checkout.session.completed", session))!;
            var leaves = HostileJson.Leaves(root).ToList();
            foreach (var target in targets)
            {
                var (parent, key) = leaves[(int)((uint)target % (uint)leaves.Count)];
                parent[key] = HostileJson.Confused(parent[key], choices[(uint)target % 4]);
            }
            return root.ToJsonString();
        });

        await events.SampleAsync(async json =>
        {
            using var response = await server.PostEventAsync(json);
            await AssertRefusedOrNotGrantedAsync(response, json);
        }, iter: 150, threads: 1);

        await AssertNothingGrantedAsync(server);
    }

    [Fact]
    public async Task Signed_bodies_that_are_not_UTF8_or_nest_ten_thousand_deep_or_are_random_bytes_get_400()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var valid = Encoding.UTF8.GetBytes(StripeEvents.Paid("u_utf8", 50));
        var notUtf8 = valid.ToList();
        notUtf8.InsertRange(Encoding.UTF8.GetString(valid).IndexOf("u_utf8", StringComparison.Ordinal) + 2, new byte[] { 0xC3, 0x28, 0xFF });
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000);

        foreach (var body in new[] { notUtf8.ToArray(), Encoding.UTF8.GetBytes(deep), "\"event\""u8.ToArray(), "null"u8.ToArray(), [] })
        {
            using var response = await server.PostSignedBytesAsync(body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        await Gen.Byte.Array[0, 2000].SampleAsync(async body =>
        {
            using var response = await server.PostSignedBytesAsync(body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }, iter: 100, threads: 1);

        await AssertNothingGrantedAsync(server);
    }

    [Fact]
    public async Task A_thousand_v1_entries_huge_headers_and_overflowing_timestamps_get_400()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var json = StripeEvents.Paid("u_headers", 50);
        var now = server.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var decoys = string.Concat(Enumerable.Range(0, 1000).Select(i => $",v1={Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))}"));
        string[] headers =
        [
            $"t={now}{decoys}",
            $"t={now},v1={new string('a', 100_000)}",
            "t=99999999999999999999999999,v1=" + new string('0', 64),
            "t=9223372036854775807,v1=" + new string('0', 64),
            "t=-9223372036854775808,v1=" + new string('0', 64),
            $"t={now},t={now}," + string.Join(',', Enumerable.Repeat("x", 10_000)),
        ];

        foreach (var header in headers)
        {
            using var response = await server.PostRawAsync(json, header);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using var overflowing = await server.PostEventAsync(json, signedAt: DateTimeOffset.MaxValue);
        Assert.Equal(HttpStatusCode.BadRequest, overflowing.StatusCode);

        await AssertNothingGrantedAsync(server);
    }

    [Fact]
    public async Task A_chunked_body_over_one_MiB_is_413_without_being_read_to_the_end()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var body = new MemoryStream(new byte[3 * 1024 * 1024]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StreamContent(body) };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1,v1=00");

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True(body.Position <= 2 * 1024 * 1024, $"the server read {body.Position} bytes of a body it refuses");
    }

    private static async Task AssertRefusedOrNotGrantedAsync(HttpResponseMessage response, string json)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var context = $"{(int)response.StatusCode} {body}\nfor {json[..Math.Min(json.Length, 2000)]}";
        Assert.True((int)response.StatusCode is 200 or 400, context);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var answer = JsonDocument.Parse(body);
            Assert.True(NotGranted.Contains(answer.RootElement.GetProperty("status").GetString()), context);
            Assert.Equal(0, answer.RootElement.GetProperty("credits_added").GetInt64());
        }
        else
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static async Task AssertNothingGrantedAsync(CreditsServer server)
    {
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries"));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM accounts WHERE balance <> 0"));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM checkout_payments WHERE status = 'granted'"));
    }
}
