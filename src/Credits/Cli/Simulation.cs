using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Credits.Stripe;

namespace Credits.Cli;

/// <summary>
/// The webhook scenarios of <c>credits simulate</c>, run against any server through its webhook
/// alone. Each run uses its own user ids (<see cref="UserPrefix"/>), so runs never disturb each
/// other or a real account.
/// </summary>
public sealed class Simulation(ServerClient client, Uri url, string secret, TimeProvider time)
{
    private const long Credits = 10;
    private const long Amount = 500;
    private const string SignatureProblem = "Invalid Stripe signature";

    public string UserPrefix { get; } = $"sim_{time.GetUtcNow():yyyyMMddHHmmss}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public string GrantUser => UserPrefix + "_grant";

    public string DelayedUser => UserPrefix + "_delayed";

    /// <summary>The buyer email of the parked payment: no account has it.</summary>
    public string UnknownEmail => UserPrefix + "@example.invalid";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<ScenarioResult>();

        var purchase = Build(new TestEventRequest("completed") { UserId = GrantUser, Credits = Credits, Amount = Amount });
        var grant = await PostAsync(purchase, secret, time.GetUtcNow(), cancellationToken);
        var granted = Expect("valid grant", grant, "granted", Credits, balance: Credits);
        results.Add(granted);

        var again = await PostAsync(purchase, secret, time.GetUtcNow(), cancellationToken);
        results.Add(Expect("duplicate delivery", again, "duplicate", Credits, balance: Credits));

        var forged = await PostAsync(Build(new TestEventRequest("completed") { UserId = GrantUser, Credits = 1_000 }),
            "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), time.GetUtcNow(), cancellationToken);
        results.Add(ExpectRefused("bad signature", forged));

        var replayed = await PostAsync(Build(new TestEventRequest("completed") { UserId = GrantUser, Credits = 1_000 }),
            secret, time.GetUtcNow().AddSeconds(-(WebhookSignature.ToleranceSeconds + 300)), cancellationToken);
        results.Add(ExpectRefused("stale timestamp", replayed));

        var orphan = await PostAsync(Build(new TestEventRequest("completed") { Credits = Credits, Amount = Amount, Email = UnknownEmail }),
            secret, time.GetUtcNow(), cancellationToken);
        results.Add(Expect("unknown user parked", orphan, "unmatched", 0));

        var unpaid = Build(new TestEventRequest("completed-unpaid") { UserId = DelayedUser, Credits = Credits, Amount = Amount });
        var pending = await PostAsync(unpaid, secret, time.GetUtcNow(), cancellationToken);
        var delayed = Expect("delayed payment: unpaid is pending", pending, "pending", 0);
        if (delayed.Passed)
        {
            var succeeded = await PostAsync(Build(new TestEventRequest("async-succeeded")
            {
                UserId = DelayedUser, Credits = Credits, Amount = Amount, SessionId = unpaid.SessionId, PaymentIntent = unpaid.PaymentIntent,
            }), secret, time.GetUtcNow(), cancellationToken);
            delayed = Expect("delayed payment: success grants", succeeded, "granted", Credits, balance: Credits);
        }
        results.Add(delayed with { Name = "delayed payment" });

        var refund = await PostAsync(Build(new TestEventRequest("refund") { PaymentIntent = purchase.PaymentIntent, Amount = Amount }),
            secret, time.GetUtcNow(), cancellationToken);
        results.Add(Expect("refund", refund, "reversed", -Credits, balance: granted.Passed ? 0 : null));
        return results;
    }

    private TestEvent Build(TestEventRequest request) => TestEvents.Build(request, time.GetUtcNow());

    private async Task<Reply> PostAsync(TestEvent evt, string signingSecret, DateTimeOffset signedAt, CancellationToken cancellationToken)
    {
        var (status, body) = await client.PostEventAsync(url, evt.Json, TestEvents.SignatureHeader(evt.Json, signingSecret, signedAt), cancellationToken);
        JsonElement? json = null;
        try
        {
            json = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
        }
        return new Reply(status, json);
    }

    private static ScenarioResult Expect(string name, Reply reply, string status, long credits, long? balance = null)
    {
        var expected = $"200 {status} {credits:+#;-#;0}" + (balance is null ? "" : $", balance {balance}");
        var got = reply.Describe();
        var passed = reply.Status == HttpStatusCode.OK
            && reply.Text("status") == status
            && reply.Number("credits_added") == credits
            && (balance is null || reply.Number("balance") == balance);
        return new ScenarioResult(name, passed, expected, got);
    }

    private static ScenarioResult ExpectRefused(string name, Reply reply) =>
        new(name, reply.Status == HttpStatusCode.BadRequest && reply.Text("title") == SignatureProblem,
            $"400 {SignatureProblem}, nothing stored", reply.Describe());

    private sealed record Reply(HttpStatusCode Status, JsonElement? Body)
    {
        public string? Text(string name) => Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public long? Number(string name) => Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;

        public string Describe()
        {
            if (Status != HttpStatusCode.OK)
            {
                return $"{(int)Status} {Text("title") ?? Status.ToString()}" + (Text("detail") is { } detail ? $": {detail}" : "");
            }
            var credits = Number("credits_added") is { } c ? $" {c:+#;-#;0}" : "";
            var balance = Number("balance") is { } b ? $", balance {b}" : "";
            var detailText = Text("detail") is { } d && Text("status") is "ignored" or "unmatched" ? $" ({d})" : "";
            return $"200 {Text("status")}{credits}{balance}{detailText}";
        }
    }
}

/// <summary>One row of the <c>credits simulate</c> table.</summary>
public sealed record ScenarioResult(string Name, bool Passed, string Expected, string Got);
