using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Reconciliation;

public sealed class SqliteReconcileTests(SqliteFixture db) : ReconcileTests<SqliteFixture>(db);

public sealed class PostgresReconcileTests(PostgresFixture db) : ReconcileTests<PostgresFixture>(db);

/// <summary>`credits reconcile` against a fake Stripe holding events the webhook never delivered.</summary>
public abstract class ReconcileTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string User() => StripeEvents.NewId("u");

    private static string EventId(string json) => StripeEvents.Parse(json).GetProperty("id").GetString()!;

    private static string CreatedAgo(string json, TimeSpan ago)
    {
        var node = JsonNode.Parse(json)!;
        node["created"] = DateTimeOffset.UtcNow.Add(-ago).ToUnixTimeSeconds();
        return node.ToJsonString();
    }

    [Fact]
    public async Task Reconcile_applies_exactly_the_missing_events_across_pages_and_a_second_run_changes_nothing()
    {
        await using var stripe = await FakeStripe.StartAsync();
        stripe.PageSize = 3;
        await using var server = await CreditsServer.StartAsync(db, stripe.Configure);
        var delivered = new[] { (User(), 10L), (User(), 20L), (User(), 30L) };
        foreach (var (user, credits) in delivered)
        {
            var json = StripeEvents.Paid(user, credits);
            await server.DeliverAsync(json);
            stripe.AddEvent(json);
        }
        var lost = new[] { (User(), 40L), (User(), 50L), (User(), 60L) };
        var lostEvents = lost.Select(l => CreatedAgo(StripeEvents.Paid(l.Item1, l.Item2), TimeSpan.FromHours(30))).ToList();
        lostEvents.Add(StripeEvents.Event("checkout.session.expired", StripeEvents.CheckoutSession(paymentStatus: "unpaid")));
        lostEvents.ForEach(stripe.AddEvent);
        var tooOld = User();
        stripe.AddEvent(CreatedAgo(StripeEvents.Paid(tooOld, 70), TimeSpan.FromHours(80)));
        stripe.AddEvent(StripeEvents.Event("customer.created", new JsonObject { ["id"] = "cus_1", ["object"] = "customer" }));

        var (dryRun, report) = await CliRunner.RunAsync(db, stripe, "reconcile", "--since", "72h");

        Assert.Equal(1, dryRun);
        Assert.All(lostEvents, json => Assert.Contains(EventId(json), report));
        Assert.Contains("4 missing", report);
        foreach (var (user, _) in lost)
        {
            Assert.Null(await server.BalanceAsync(user));
        }
        var listed = stripe.RequestsTo("GET", "/v1/events");
        Assert.Equal(3, listed.Count);
        Assert.Null(listed[0].Query.GetValueOrDefault("starting_after"));
        Assert.NotNull(listed[1].Query.GetValueOrDefault("starting_after"));
        Assert.Contains("checkout.session.completed", listed[0].Query["types[]"]);
        Assert.DoesNotContain("customer.created", listed[0].Query["types[]"]);

        var (applyRun, applied) = await CliRunner.RunAsync(db, stripe, "reconcile", "--since", "72h", "--apply");

        Assert.True(applyRun == 0, applied);
        Assert.Contains("4 applied; 0 drift remaining", applied);
        foreach (var (user, credits) in delivered.Concat(lost))
        {
            Assert.Equal(credits, await server.BalanceAsync(user));
            Assert.Single(await server.EntriesAsync(user));
        }
        Assert.Null(await server.BalanceAsync(tooOld));
        var firstLost = EventId(lostEvents[0]);
        Assert.Equal(lostEvents[0], await server.ScalarAsync<string>("SELECT payload FROM webhook_events WHERE id = @firstLost", new { firstLost }));

        var (secondRun, again) = await CliRunner.RunAsync(db, stripe, "reconcile", "--since", "72h", "--apply");

        Assert.True(secondRun == 0, again);
        Assert.Contains("Checked 7 Stripe events", again);
        Assert.Contains("0 missing, 0 failed, 0 disagreeing; 0 applied; 0 drift remaining", again);
        foreach (var (user, credits) in delivered.Concat(lost))
        {
            Assert.Equal(credits, await server.BalanceAsync(user));
            Assert.Single(await server.EntriesAsync(user));
        }
    }

    [Fact]
    public async Task A_paid_session_the_ledger_holds_otherwise_is_reported_and_not_applied()
    {
        await using var stripe = await FakeStripe.StartAsync();
        await using var server = await CreditsServer.StartAsync(db, stripe.Configure);
        var user = User();
        var session = StripeEvents.CheckoutSession(userId: user, credits: 25);
        var sessionId = (string)session["id"]!;
        var json = StripeEvents.Completed(session);
        await server.DeliverAsync(json);
        stripe.AddEvent(json);
        await server.Database.ReadAsync(c => c.ExecuteAsync(
            "UPDATE checkout_payments SET status = 'pending' WHERE session_id = @sessionId", new { sessionId }), TestContext.Current.CancellationToken);

        var (exitCode, output) = await CliRunner.RunAsync(db, stripe, "reconcile", "--since", "1h", "--apply");

        Assert.Equal(1, exitCode);
        Assert.Contains($"Stripe says {sessionId} is paid; Credits has it pending", output);
        Assert.Equal(25, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
    }

    [Theory]
    [InlineData("31d")]
    [InlineData("721h")]
    [InlineData("soon")]
    public async Task Reconcile_refuses_a_window_Stripe_cannot_answer(string since)
    {
        await using var stripe = await FakeStripe.StartAsync();

        var (exitCode, output) = await CliRunner.RunAsync(db, stripe, "reconcile", "--since", since);

        Assert.Equal(2, exitCode);
        Assert.Contains(since, output);
        Assert.Empty(stripe.Requests);
    }
}
