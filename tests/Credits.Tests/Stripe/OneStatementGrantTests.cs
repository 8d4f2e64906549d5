using System.Globalization;
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
        "SELECT payment_intent, pending_reversals, touched_at FROM payment_intent_locks ORDER BY payment_intent",
        "SELECT source_kind, source_id, payment_intent, status, session_id, account_id, credits, amount, event_id, created_at, updated_at FROM payment_reversals ORDER BY source_id",
    ];

    [Fact]
    public async Task The_same_events_leave_the_same_rows_and_answers_on_PostgreSQL_and_SQLite()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var events = Scenario();
        // A minute ahead, so neither server's fake clock has passed it; whole milliseconds, as stored.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var (sqliteAnswers, sqliteRows, sqliteFast) = await RunAsync(sqlite, events, at);
        var (postgresAnswers, postgresRows, postgresFast) = await RunAsync(postgres, events, at);

        Assert.Equal(sqliteAnswers, postgresAnswers);
        Assert.Equal(sqliteRows, postgresRows);
        // Paid for our own id (metadata and client_reference_id) and paid after pending: three in one statement.
        Assert.Equal(0, sqliteFast);
        Assert.Equal(3, postgresFast);
        Assert.Contains(sqliteAnswers, answer => answer.Contains("\"status\":\"granted\"", StringComparison.Ordinal));
    }

    /// <summary>Every path the one statement takes or hands over: grant, redelivery, sibling event, refund first, pending then paid, lookups.</summary>
    private static List<string> Scenario()
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

    private static async Task<(List<string> Answers, List<string> Rows, double Fast)> RunAsync(DatabaseFixture fixture, List<string> events, DateTimeOffset at)
    {
        await using var server = await CreditsServer.StartAsync(fixture);
        server.Time.SetUtcNow(at);
        var answers = new List<string>();
        foreach (var json in events)
        {
            var response = await server.PostEventAsync(json);
            answers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }
        var rows = await server.RowsAsync(Tables);
        var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var fast = metrics.Split('\n').FirstOrDefault(line => line.StartsWith("credits_webhook_one_statement_grants_total", StringComparison.Ordinal))
            is { } line ? double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture) : 0;
        return (answers, rows, fast);
    }
}
