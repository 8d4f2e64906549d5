using System.Text;
using Credits.Reconciliation;
using Credits.Stripe;

namespace Credits.Tests.Stripe;

/// <summary>
/// The one event table, read without a server: every handled type is reconciled, can be sent by
/// send-test-event, and is in docs/events.md; the product's signer signs as Stripe does.
/// </summary>
public sealed class HandledEventsTests
{
    public static TheoryData<string> Types => [.. HandledEvents.All.Select(e => e.Type)];

    public static TheoryData<string> Kinds => [.. TestEvents.Kinds.Keys];

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_handled_type_is_listed_by_reconcile(string type) =>
        Assert.Contains(type, Reconciler.EventTypes);

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_handled_type_can_be_sent_by_send_test_event(string type) =>
        Assert.Contains(type, TestEvents.Kinds.Values);

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_handled_type_is_described_in_docs_events(string type) =>
        Assert.Contains($"| `{type}` |", File.ReadAllText(DocsPath("events.md")));

    [Fact]
    public void Types_are_declared_once() =>
        Assert.Equal(HandledEvents.All.Count, HandledEvents.All.Select(e => e.Type).Distinct(StringComparer.Ordinal).Count());

    [Fact]
    public void Only_the_purchase_types_grant_and_fetch_line_items() =>
        Assert.Equal(["checkout.session.completed", "checkout.session.async_payment_succeeded"],
            HandledEvents.All.Where(e => e.GrantsPurchase).Select(e => e.Type));

    [Fact]
    public void An_unknown_type_is_not_handled() =>
        Assert.Null(HandledEvents.Find("invoice.paid"));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_builds_a_readable_event_of_its_type(string kind)
    {
        var built = TestEvents.Build(new TestEventRequest(kind) { UserId = "u_1", Credits = 10 }, DateTimeOffset.UnixEpoch.AddYears(56));

        using var evt = StripeEvent.TryParse(Encoding.UTF8.GetBytes(built.Json), out var error);
        Assert.True(evt is not null, error);
        Assert.Equal((TestEvents.Kinds[kind], built.EventId, built.ObjectId), (evt.Type, evt.Id, evt.ObjectId));
    }

    [Fact]
    public void The_signer_signs_as_Stripe_net_does()
    {
        const string body = """{"id":"evt_1","object":"event","note":"é 🙂"}""";
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var stripeNet = global::Stripe.EventUtility.ComputeSignature("whsec_abc", "1700000000", body);

        Assert.Equal($"t=1700000000,v1={stripeNet}", TestEvents.SignatureHeader(body, "whsec_abc", at));
        Assert.Equal(TestEvents.SignatureHeader(body, "whsec_abc", at), TestEvents.SignatureHeader(Encoding.UTF8.GetBytes(body), "whsec_abc", at));
    }

    private static string DocsPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }
}
