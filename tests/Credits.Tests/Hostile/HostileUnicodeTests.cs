using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;
using CsCheck;

namespace Credits.Tests.Hostile;

public sealed class SqliteHostileUnicodeTests(SqliteFixture db) : HostileUnicodeTests<SqliteFixture>(db);

public sealed class PostgresHostileUnicodeTests(PostgresFixture db) : HostileUnicodeTests<PostgresFixture>(db);

/// <summary>
/// Property: signed events of every handled type with hostile text written into the fields
/// Credits reads (ids, metadata values and keys, emails, codes), as JSON escapes or raw bytes.
/// An event holding text that is not valid Unicode is a 400 naming one of the fields it was
/// written into, stored nowhere and granting nothing; valid but unusual text never causes a 5xx;
/// and afterwards the server still grants an ordinary payment, with every balance equal to its ledger.
/// </summary>
public abstract class HostileUnicodeTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private enum Validity
    {
        Valid,
        Invalid,

        /// <summary>A non-character: valid text, but never in an id.</summary>
        InvalidInIds,
    }

    private sealed record Hostile(string Name, byte[] Raw, Validity Validity);

    private static readonly Hostile[] Texts =
    [
        new("lone high surrogate", "\\ud800"u8.ToArray(), Validity.Invalid),
        new("lone low surrogate", "\\udfff"u8.ToArray(), Validity.Invalid),
        new("reversed pair", "\\udc00\\ud800"u8.ToArray(), Validity.Invalid),
        new("high then a letter", "\\ud83dx"u8.ToArray(), Validity.Invalid),
        new("high then an escape", "\\ud83d\\n"u8.ToArray(), Validity.Invalid),
        new("high then a BMP escape", "\\ud83d\\u0041"u8.ToArray(), Validity.Invalid),
        new("overlong slash", [0xC0, 0xAF], Validity.Invalid),
        new("overlong three bytes", [0xE0, 0x80, 0xAF], Validity.Invalid),
        new("UTF-8 surrogate", [0xED, 0xA0, 0x80], Validity.Invalid),
        new("stray continuation", [0x80], Validity.Invalid),
        new("0xFF", [0xFF], Validity.Invalid),
        new("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80], Validity.Invalid),
        new("truncated sequence", [0xE2, 0x82], Validity.Invalid),
        new("U+FFFF escaped", "\\uffff"u8.ToArray(), Validity.InvalidInIds),
        new("U+FDD0 escaped", "\\uFDD0"u8.ToArray(), Validity.InvalidInIds),
        new("U+FFFE raw", [0xEF, 0xBF, 0xBE], Validity.InvalidInIds),
        new("U+10FFFF raw", [0xF4, 0x8F, 0xBF, 0xBF], Validity.InvalidInIds),
        new("escaped pair", "\\ud83d\\ude42"u8.ToArray(), Validity.Valid),
        new("raw emoji", "🙂"u8.ToArray(), Validity.Valid),
        new("RTL override", "\u202Eevil"u8.ToArray(), Validity.Valid),
        new("escaped e-acute", "\\u00e9"u8.ToArray(), Validity.Valid),
        new("replacement character", "\\ufffd"u8.ToArray(), Validity.Valid),
        new("combining marks", "e\u0301\u0327"u8.ToArray(), Validity.Valid),
        new("zero width joiner", "\\u200d"u8.ToArray(), Validity.Valid),
    ];

    /// <summary>The fields Credits reads, and whether each is an id (where non-characters are refused too).</summary>
    private static readonly (string Path, bool Id)[] Fields =
    [
        ("id", true), ("type", true),
        ("data.object.id", true), ("data.object.object", true), ("data.object.metadata.user_id", true), ("data.object.metadata.credits", false),
        ("data.object.metadata.pack_id", true), ("data.object.client_reference_id", true), ("data.object.customer", true),
        ("data.object.payment_intent", true), ("data.object.currency", true), ("data.object.payment_status", true),
        ("data.object.mode", true), ("data.object.customer_details.email", false), ("data.object.customer_email", false),
        ("data.object.customer_details.name", false), ("data.object.charge", true), ("data.object.status", true),
        ("data.object.metadata", false), // a hostile property name inside metadata
    ];

    private static readonly Func<string>[] Events =
    [
        () => StripeEvents.Completed(Session("paid")),
        () => StripeEvents.Completed(Session("unpaid")),
        () => StripeEvents.Event("checkout.session.async_payment_succeeded", Session("paid")),
        () => StripeEvents.Event("checkout.session.expired", Session("unpaid")),
        () => StripeEvents.Refunded(StripeEvents.NewId("pi"), 500, 200),
        () => StripeEvents.Dispute("charge.dispute.created", StripeEvents.NewId("pi"), 500, "needs_response", StripeEvents.NewId("dp")),
    ];

    private static JsonObject Session(string paymentStatus)
    {
        var user = StripeEvents.NewId("u");
        var session = StripeEvents.CheckoutSession(userId: user, credits: 50, paymentStatus: paymentStatus, clientReferenceId: user,
            customer: StripeEvents.NewId("cus"), email: $"{user}@example.com");
        session["metadata"]!["pack_id"] = "starter";
        return session;
    }

    [Fact]
    public async Task Events_with_hostile_text_in_any_field_are_refused_naming_it_or_processed_never_a_5xx_and_never_granted_when_invalid()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var samples = Gen.Select(Gen.Int[0, Events.Length - 1], Gen.Int[0, Fields.Length - 1].Array[1, 3], Gen.Int[0, Texts.Length - 1].Array[3]);
        var refused = 0;

        await samples.SampleAsync(async (eventIndex, fieldIndexes, textIndexes) =>
        {
            var (body, invalidPaths, eventId, sessionId, described) = Build(Events[eventIndex](), fieldIndexes, textIndexes);
            using var response = await server.PostSignedBytesAsync(body);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var context = $"{(int)response.StatusCode} {text}\nfor {described}";
            Assert.True((int)response.StatusCode < 500, context);
            if (invalidPaths.Count == 0)
            {
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, context);
                return;
            }
            refused++;
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, context);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var field = JsonDocument.Parse(text).RootElement.GetProperty("field").GetString();
            Assert.True(invalidPaths.Contains(field!), $"field '{field}' is not one of [{string.Join(", ", invalidPaths)}]: {context}");
            Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events WHERE id LIKE @eventId || '%'", new { eventId }));
            Assert.Equal(0, await server.ScalarAsync<long>(
                "SELECT COUNT(*) FROM ledger_entries WHERE source_id LIKE @sessionId || '%'", new { sessionId }));
            Assert.Equal(0, await server.ScalarAsync<long>(
                "SELECT COUNT(*) FROM checkout_payments WHERE session_id LIKE @sessionId || '%'", new { sessionId }));
        }, iter: 300, threads: 1);

        Assert.True(refused > 100, $"only {refused} of 300 samples were invalid: the generator lost its teeth");
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events WHERE status = 'failed'"));
        await server.AssertBalancesEqualLedgerAsync();
        var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var counted = new[] { "not_utf8", "lone_surrogate", "noncharacter" }
            .Sum(reason => PrometheusText.ValueOrZero(metrics, "credits_webhook_invalid_events_total", $"reason=\"{reason}\""));
        Assert.Equal(refused, counted);

        var user = StripeEvents.NewId("after");
        var answer = await server.DeliverAsync(StripeEvents.Paid(user, 50));
        Assert.Equal("granted", answer.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(user));
    }

    /// <summary>
    /// The event with a marker appended to each chosen field (or a marker key added to metadata),
    /// serialised, then each marker replaced by its hostile bytes: JSON escapes stay escapes, raw
    /// bytes stay raw, as a sender can write them.
    /// </summary>
    private static (byte[] Body, HashSet<string> InvalidPaths, string EventId, string SessionId, string Described) Build(
        string json, int[] fieldIndexes, int[] textIndexes)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var eventId = root["id"]!.GetValue<string>();
        var sessionId = root["data"]!["object"]!["id"]!.GetValue<string>();
        var invalid = new HashSet<string>(StringComparer.Ordinal);
        var replacements = new List<(string Marker, byte[] Raw)>();
        var described = new StringBuilder(root["type"]!.GetValue<string>());
        for (var i = 0; i < fieldIndexes.Length; i++)
        {
            var (path, isId) = Fields[fieldIndexes[i]];
            var hostile = Texts[textIndexes[i % textIndexes.Length]];
            var marker = $"HOSTILEMARK{i}";
            var segments = path.Split('.');
            var parent = segments[..^1].Aggregate((JsonNode?)root, (node, name) => node?[name]) as JsonObject;
            if (parent is null)
            {
                continue;
            }
            string reported;
            if (path == "data.object.metadata")
            {
                if (root["data"]!["object"]!["metadata"] is not JsonObject metadata || metadata.ContainsKey(marker))
                {
                    continue;
                }
                metadata[marker] = "x";
                reported = $"{path} (a property name)";
            }
            else
            {
                var original = parent[segments[^1]] is JsonValue value && value.TryGetValue<string>(out var s) ? s : "";
                parent[segments[^1]] = original + marker;
                reported = path;
            }
            replacements.Add((marker, hostile.Raw));
            described.Append($"; {path} += {hostile.Name}");
            var refusedHere = hostile.Validity == Validity.Invalid
                || hostile.Validity == Validity.InvalidInIds && isId && path != "data.object.metadata";
            if (refusedHere)
            {
                invalid.Add(reported);
            }
        }
        var body = Encoding.UTF8.GetBytes(root.ToJsonString());
        foreach (var (marker, raw) in replacements)
        {
            var at = body.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker));
            body = [.. body[..at], .. raw, .. body[(at + marker.Length)..]];
        }
        return (body, invalid, eventId, sessionId, described.ToString());
    }
}
