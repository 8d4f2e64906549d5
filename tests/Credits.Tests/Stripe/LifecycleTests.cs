using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteLifecycleTests(SqliteFixture db) : LifecycleTests<SqliteFixture>(db);

public sealed class PostgresLifecycleTests(PostgresFixture db) : LifecycleTests<PostgresFixture>(db);

/// <summary>Delayed payments, refunds and disputes, in order and out of it (docs/events.md).</summary>
public abstract class LifecycleTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static string User() => StripeEvents.NewId("u");

    private static (JsonObject Session, string PaymentIntent) Purchase(string user, long credits = 100, long amount = 1000, string paymentStatus = "paid")
    {
        var session = StripeEvents.CheckoutSession(userId: user, credits: credits, amountTotal: amount, paymentStatus: paymentStatus);
        return (session, session["payment_intent"]!.GetValue<string>());
    }

    [Fact]
    public async Task Async_success_after_completed_unpaid_grants_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, _) = Purchase(user, paymentStatus: "unpaid");

        var pending = await server.DeliverAsync(StripeEvents.Completed(session));
        session["payment_status"] = "paid";
        var granted = await server.DeliverAsync(StripeEvents.Event("checkout.session.async_payment_succeeded", session));
        var again = await server.DeliverAsync(StripeEvents.Event("checkout.session.async_payment_succeeded", session));

        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.Equal("granted", granted.GetProperty("status").GetString());
        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        Assert.Equal(100, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Async_success_before_completed_unpaid_still_grants_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, _) = Purchase(user);

        await server.DeliverAsync(StripeEvents.Event("checkout.session.async_payment_succeeded", session));
        var late = session.DeepClone().AsObject();
        late["payment_status"] = "unpaid";
        var completed = await server.DeliverAsync(StripeEvents.Completed(late));

        Assert.Equal("duplicate", completed.GetProperty("status").GetString());
        Assert.Equal(100, await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData("checkout.session.async_payment_failed", "failed")]
    [InlineData("checkout.session.expired", "expired")]
    public async Task Failed_or_expired_delayed_payment_closes_the_session_without_credits(string type, string closedAs)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, _) = Purchase(user, paymentStatus: "unpaid");
        var sessionId = session["id"]!.GetValue<string>();

        await server.DeliverAsync(StripeEvents.Completed(session));
        var closed = await server.DeliverAsync(StripeEvents.Event(type, session));

        Assert.Equal("ignored", closed.GetProperty("status").GetString());
        Assert.Equal(closedAs, await server.ScalarAsync<string>("SELECT status FROM checkout_payments WHERE session_id = @sessionId", new { sessionId }));
        Assert.Null(await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Partial_refunds_of_25_then_100_percent_take_back_exactly_the_purchase()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
        await server.DeliverAsync(StripeEvents.Completed(session));

        var quarter = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 250));
        Assert.Equal(75, await server.BalanceAsync(user));
        var rest = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 1000, previouslyRefunded: 250));

        Assert.Equal(("reversed", -25L), (quarter.GetProperty("status").GetString(), quarter.GetProperty("credits_added").GetInt64()));
        Assert.Equal(("reversed", -75L), (rest.GetProperty("status").GetString(), rest.GetProperty("credits_added").GetInt64()));
        Assert.Equal(0, await server.BalanceAsync(user));
        var reversals = (await server.EntriesAsync(user)).Where(e => e.Amount < 0).ToList();
        Assert.Equal(2, reversals.Count);
        Assert.All(reversals, e => Assert.Equal("refund", e.SourceKind));
        Assert.All(reversals, e => Assert.StartsWith("ch_", e.SourceId));
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task The_same_refund_delivered_twice_takes_back_once()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user);
        await server.DeliverAsync(StripeEvents.Completed(session));
        var refund = StripeEvents.Refunded(paymentIntent, 1000, 500);

        await server.DeliverAsync(refund);
        var again = await server.DeliverAsync(refund);
        // Stripe can also send a second event id for the same change.
        var sibling = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 500));

        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        Assert.Equal("duplicate", sibling.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(user));
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Refunds_out_of_order_never_take_back_more_than_was_granted()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
        await server.DeliverAsync(StripeEvents.Completed(session));

        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 1000, previouslyRefunded: 333));
        var earlier = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 333));

        Assert.Equal(0, earlier.GetProperty("credits_added").GetInt64());
        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal(-100, (await server.EntriesAsync(user)).Where(e => e.Amount < 0).Sum(e => e.Amount));
    }

    [Fact]
    public async Task Partial_refund_rounds_down_in_the_buyers_favour()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 50, amount: 1500);
        await server.DeliverAsync(StripeEvents.Completed(session));

        // A third of 50 credits is 16.67: 16 are taken back.
        var third = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1500, 500));

        Assert.Equal(-16, third.GetProperty("credits_added").GetInt64());
        Assert.Equal(34, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Refund_before_purchase_is_not_lost()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);

        var early = await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 500));
        var purchase = await server.DeliverAsync(StripeEvents.Completed(session));

        Assert.Equal("pending", early.GetProperty("status").GetString());
        Assert.Equal("granted", purchase.GetProperty("status").GetString());
        Assert.Equal(50, purchase.GetProperty("credits_added").GetInt64());
        Assert.Equal(50, await server.BalanceAsync(user));
        var entries = await server.EntriesAsync(user);
        Assert.Equal(2, entries.Count);
        Assert.Contains(entries, e => e.Amount == -50 && e.SourceKind == "refund");
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public Task Refund_racing_its_purchase_is_applied_exactly_once() =>
        RaceToNothingAsync(paymentIntent => [StripeEvents.Refunded(paymentIntent, 1000, 1000)]);

    // Half refunded, then disputed: whichever order they land in, nothing is left.
    [Fact]
    public Task Refund_and_dispute_racing_their_purchase_take_back_everything_once() =>
        RaceToNothingAsync(paymentIntent =>
        [
            StripeEvents.Refunded(paymentIntent, 1000, 500),
            StripeEvents.Dispute("charge.dispute.created", paymentIntent, 500, "needs_response", StripeEvents.NewId("dp")),
        ]);

    /// <summary>Many buyers' purchases (100 credits for 1000) delivered at once with reversals that take everything back; every balance must end at 0.</summary>
    private async Task RaceToNothingAsync(Func<string, string[]> reversals)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var users = Enumerable.Range(0, Soak.Size(10, 100)).Select(_ => User()).ToList();
        var deliveries = new List<Task>();
        foreach (var user in users)
        {
            var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
            deliveries.AddRange(reversals(paymentIntent).Append(StripeEvents.Completed(session)).Select(json => Task.Run(() => server.DeliverAsync(json))));
        }

        await Task.WhenAll(deliveries);

        foreach (var user in users)
        {
            Assert.Equal(0, await server.BalanceAsync(user));
        }
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Dispute_takes_back_the_rest_and_a_won_dispute_gives_it_back()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
        var dispute = StripeEvents.NewId("dp");
        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 200));

        var opened = await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.created", paymentIntent, 800, "needs_response", dispute));
        Assert.Equal(0, await server.BalanceAsync(user));
        var won = await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.closed", paymentIntent, 800, "won", dispute));

        Assert.Equal(("reversed", -80L), (opened.GetProperty("status").GetString(), opened.GetProperty("credits_added").GetInt64()));
        Assert.Equal(80, won.GetProperty("credits_added").GetInt64());
        Assert.Equal(80, await server.BalanceAsync(user));
        var entries = await server.EntriesAsync(user);
        Assert.Contains(entries, e => e.SourceKind == "dispute" && e.SourceId == dispute && e.Amount == -80);
        Assert.Contains(entries, e => e.SourceKind == "dispute_won" && e.SourceId == dispute && e.Amount == 80);
        await server.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Lost_dispute_keeps_the_credits_taken()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
        var dispute = StripeEvents.NewId("dp");
        await server.DeliverAsync(StripeEvents.Completed(session));

        await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.created", paymentIntent, 1000, "needs_response", dispute));
        var lost = await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.closed", paymentIntent, 1000, "lost", dispute));

        Assert.Equal("ignored", lost.GetProperty("status").GetString());
        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal(2, (await server.EntriesAsync(user)).Count);
    }

    [Fact]
    public async Task Reversal_may_leave_a_negative_balance_that_the_ledger_explains()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = User();
        var (session, paymentIntent) = Purchase(user, credits: 100, amount: 1000);
        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.Database.ReadAsync(async c =>
        {
            // A spend made through the ledger, as the spending API does.
            await using var tx = await server.Database.BeginAsync(TestContext.Current.CancellationToken);
            await server.Services.GetRequiredService<Credits.Ledger.CreditLedger>().PostAsync(tx,
                new Credits.Ledger.Posting(user, -60, "spend", "spend", $"{user}:k1"), TestContext.Current.CancellationToken);
            await tx.CommitAsync(TestContext.Current.CancellationToken);
            return 0;
        }, TestContext.Current.CancellationToken);

        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 1000));

        Assert.Equal(-60, await server.BalanceAsync(user));
        await server.AssertBalancesEqualLedgerAsync();
    }
}
