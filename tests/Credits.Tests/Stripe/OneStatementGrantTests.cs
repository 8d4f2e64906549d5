using System.Text.Json.Nodes;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

/// <summary>
/// PostgreSQL grants the common paid session in one statement; SQLite always takes the
/// per-statement path. The same events on both must answer the same and leave the same rows.
/// </summary>
public sealed class OneStatementGrantTests(SqliteFixture sqlite, PostgresFixture postgres)
    : IClassFixture<SqliteFixture>, IClassFixture<PostgresFixture>
{
    private static readonly string[] Tables =
    [
        "SELECT id, email, balance, held, created_at, updated_at FROM accounts ORDER BY id",
        "SELECT account_id, amount, kind, source_kind, source_id, reason, created_at FROM ledger_entries ORDER BY source_kind, source_id",
        """
        SELECT session_id, status, account_id, credits, amount_total, currency, payment_intent, customer_id, email, reason, event_id, created_at, updated_at
        FROM checkout_payments ORDER BY session_id
        """,
        """
        SELECT id, type, livemode, api_version, created, payload, status, user_id, credits_added, object_id, detail, error, attempts, received_at, processed_at
        FROM webhook_events ORDER BY id
        """,
        "SELECT customer_id, account_id, created_at FROM stripe_customers ORDER BY customer_id",
        "SELECT source_kind, source_id, payment_intent, status, session_id, account_id, credits, amount, event_id, created_at, updated_at FROM payment_reversals ORDER BY source_id",
    ];

    [Fact]
    public async Task The_same_events_leave_the_same_rows_and_answers_on_PostgreSQL_and_SQLite()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var events = Scenario();
        // A minute ahead, so neither server's fake clock has passed it; whole milliseconds, as stored.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var (sqliteAnswers, sqliteRows, sqliteMetrics) = await RunAsync(sqlite, events, at);
        var (postgresAnswers, postgresRows, postgresMetrics) = await RunAsync(postgres, events, at);

        Assert.Equal(sqliteAnswers, postgresAnswers);
        Assert.Equal(sqliteRows, postgresRows);
        // Paid for our own id (metadata and client_reference_id) and paid after pending: three in one statement.
        Assert.Equal(0, PrometheusText.ValueOrZero(sqliteMetrics, "credits_webhook_one_statement_grants_total"));
        Assert.Equal(3, PrometheusText.Value(postgresMetrics, "credits_webhook_one_statement_grants_total"));
        Assert.Contains(sqliteAnswers, answer => answer.Contains("\"status\":\"granted\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Grants_arriving_together_share_transactions_and_leave_the_rows_one_at_a_time_would()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        // Distinct buyers, so each answer's balance does not depend on arrival order; every fifth event is delivered twice.
        var events = Enumerable.Range(0, 40)
            .Select(i => StripeEvents.Completed(StripeEvents.CheckoutSession(
                userId: StripeEvents.NewId("u"), credits: 10 + i, customer: i % 3 == 0 ? StripeEvents.NewId("cus") : null)))
            .SelectMany((json, i) => i % 5 == 0 ? [json, json] : new[] { json })
            .ToList();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var (sqliteAnswers, sqliteRows, _) = await RunAsync(sqlite, events, at);
        var (postgresAnswers, postgresRows, postgresMetrics) = await RunAsync(postgres, events, at, together: true);

        Assert.Equal(sqliteAnswers.Order(), postgresAnswers.Order());
        Assert.Equal(sqliteRows, postgresRows);
        Assert.Equal(40, PrometheusText.Value(postgresMetrics, "credits_webhook_one_statement_grants_total"));
        // Shared, pipelined transactions, and none rolled back to run its events one by one.
        Assert.True(
            PrometheusText.Value(postgresMetrics, "credits_group_commit_transactions_total") < PrometheusText.Value(postgresMetrics, "credits_group_commit_items_total"),
            "every event had a transaction of its own: nothing was combined");
        Assert.Equal(0, PrometheusText.Value(postgresMetrics, "credits_group_commit_split_batches_total"));
    }

    /// <summary>Every path the one statement takes or hands over: grant, redelivery, sibling event, refund first, pending then paid, lookups.</summary>
    internal static List<string> Scenario()
    {
        var (buyer, other, byReference) = (StripeEvents.NewId("u"), StripeEvents.NewId("u"), StripeEvents.NewId("u"));
        var customer = StripeEvents.NewId("cus");
        var first = StripeEvents.CheckoutSession(userId: buyer, credits: 100, customer: customer, email: "Buyer@Example.com");
        var refundedFirst = StripeEvents.CheckoutSession(userId: other, credits: 50, amountTotal: 500);
        var delayed = StripeEvents.CheckoutSession(userId: buyer, credits: 30, paymentStatus: "unpaid");
        var delayedPaid = (JsonObject)delayed.DeepClone();
        delayedPaid["payment_status"] = "paid";
        var firstEvent = StripeEvents.Completed(first);
        return
        [
            firstEvent,
            firstEvent,
            StripeEvents.Event("checkout.session.async_payment_succeeded", first),
            StripeEvents.Refunded((string)refundedFirst["payment_intent"]!, amount: 500, amountRefunded: 250),
            StripeEvents.Completed(refundedFirst),
            StripeEvents.Completed(delayed),
            StripeEvents.Event("checkout.session.async_payment_succeeded", delayedPaid),
            StripeEvents.Completed(StripeEvents.CheckoutSession(clientReferenceId: byReference, credits: 10)),
            StripeEvents.Completed(StripeEvents.CheckoutSession(customer: customer, credits: 5)),
        ];
    }

    /// <summary>Sends the events one after another, or all at once (<paramref name="together"/>) so that group commit batches them.</summary>
    internal static async Task<(List<string> Answers, List<string> Rows, string Metrics)> RunAsync(
        DatabaseFixture fixture, List<string> events, DateTimeOffset at, bool together = false, bool fastPaths = true)
    {
        // Set either way, whatever test.sh's second pass exports: these tests compare the paths.
        await using var server = await CreditsServer.StartAsync(fixture, settings => settings["CREDITS_FAST_PATHS"] = fastPaths ? "true" : "false");
        server.Time.SetUtcNow(at);
        async Task<string> SendAsync(string json)
        {
            var response = await server.PostEventAsync(json);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}";
        }
        var answers = new List<string>();
        if (together)
        {
            answers.AddRange(await Task.WhenAll(events.Select(SendAsync)));
        }
        else
        {
            foreach (var json in events)
            {
                answers.Add(await SendAsync(json));
            }
        }
        var rows = await server.RowsAsync(Tables);
        return (answers, rows, await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
    }
}
