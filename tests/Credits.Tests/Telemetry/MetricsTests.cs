using Credits.Tests.Api;
using Credits.Tests.Infrastructure;
using static Credits.Tests.Infrastructure.PrometheusText;

namespace Credits.Tests.Telemetry;

public sealed class SqliteMetricsTests(SqliteFixture db) : MetricsTests<SqliteFixture>(db);

public sealed class PostgresMetricsTests(PostgresFixture db) : MetricsTests<PostgresFixture>(db);

/// <summary>GET /metrics in Prometheus text: the named series, with the values a few events should leave.</summary>
public abstract class MetricsTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Metrics_expose_events_credits_signature_failures_latency_and_the_backlog()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var purchase = StripeEvents.CheckoutSession(userId: StripeEvents.NewId("u"), credits: 30, amountTotal: 500);
        await server.DeliverAsync(StripeEvents.Completed(purchase));
        await server.DeliverAsync(StripeEvents.Refunded((string)purchase["payment_intent"]!, 500, 250));
        await server.DeliverAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 20));
        await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(amountTotal: 123, email: "nobody@example.invalid")));
        (await server.PostEventAsync(StripeEvents.Paid("u_forged", 99), secret: "whsec_wrong")).Dispose();
        await StatsApiTests<TFixture>.InsertFailedEventAsync(server, "evt_failed_metrics", server.Time.GetUtcNow().AddSeconds(-90));

        var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(2, Value(metrics, "credits_webhook_events_total", "status=\"granted\"", "type=\"checkout.session.completed\""));
        Assert.Equal(1, Value(metrics, "credits_webhook_events_total", "status=\"unmatched\""));
        Assert.Equal(1, Value(metrics, "credits_webhook_signature_failures_total", "reason=\"Mismatch\""));
        Assert.Equal(50, Value(metrics, "credits_movements_total", "direction=\"granted\""));
        Assert.Equal(15, Value(metrics, "credits_movements_total", "direction=\"reversed\""));
        Assert.Equal(1, Value(metrics, "credits_webhook_events_total", "status=\"reversed\"", "type=\"charge.refunded\""));
        Assert.Equal(2, Value(metrics, "credits_webhook_duration_seconds_count", "status=\"granted\""));
        Assert.Equal(1, Value(metrics, "credits_payments_unmatched"));
        Assert.Equal(1, Value(metrics, "credits_webhook_failed_events"));
        Assert.Equal(90, Value(metrics, "credits_webhook_oldest_failed_age_seconds"));
        // Four processed events, delivered one at a time: four items in four transactions.
        Assert.Equal(4, Value(metrics, "credits_group_commit_items_total"));
        Assert.Equal(4, Value(metrics, "credits_group_commit_transactions_total"));
        Assert.Equal(0, Value(metrics, "credits_group_commit_split_batches_total"));
        Assert.Equal(0, Value(metrics, "credits_group_commit_race_retries_total"));
    }
}
