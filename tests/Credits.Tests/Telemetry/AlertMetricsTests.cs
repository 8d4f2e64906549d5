using System.Net;
using Credits.Tests.Infrastructure;
using static Credits.Tests.Infrastructure.PrometheusText;

namespace Credits.Tests.Telemetry;

public sealed class SqliteAlertMetricsTests(SqliteFixture db) : AlertMetricsTests<SqliteFixture>(db);

public sealed class PostgresAlertMetricsTests(PostgresFixture db) : AlertMetricsTests<PostgresFixture>(db);

/// <summary>The series deploy/prometheus/alerts.yml needs beyond the event counters: ages, answers by code, the database.</summary>
public abstract class AlertMetricsTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Oldest_parked_payment_age_counts_from_when_it_was_parked()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var first = await Scrape(server);
        Assert.Equal(0, Value(first, "credits_payments_oldest_unmatched_age_seconds"));

        using (var parked = await server.PostEventAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(amountTotal: 123, email: "nobody@example.invalid"))))
        {
            Assert.Contains("\"unmatched\"", await parked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        server.Time.Advance(TimeSpan.FromMinutes(20));
        var later = await Scrape(server);

        Assert.Equal(1, Value(later, "credits_payments_unmatched"));
        Assert.Equal(1200, Value(later, "credits_payments_oldest_unmatched_age_seconds"));
    }

    [Fact]
    public async Task Webhook_answers_are_counted_by_status_code()
    {
        await using var server = await CreditsServer.StartAsync(db, s => s["CREDITS_DB_TIMEOUT_SECONDS"] = "1");
        (await server.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 5))).Dispose();
        (await server.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 5), path: "/")).Dispose();
        (await server.PostEventAsync(StripeEvents.Paid("u_forged", 99), secret: "whsec_wrong_but_long_enough_0123456789")).Dispose();
        (await server.PostRawAsync(new string('x', 1024 * 1024 + 10), "t=1,v1=00")).Dispose();
        (await server.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).Dispose();

        HttpStatusCode outage;
        await using (await db.BreakAsync())
        {
            using var response = await server.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 5));
            outage = response.StatusCode;
        }
        var metrics = await Scrape(server);

        Assert.Equal(2, Value(metrics, "credits_webhook_responses_total", "code=\"200\""));
        Assert.Equal(1, Value(metrics, "credits_webhook_responses_total", "code=\"400\""));
        Assert.Equal(1, Value(metrics, "credits_webhook_responses_total", "code=\"413\""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, outage);
        Assert.Equal(1, Value(metrics, "credits_webhook_responses_total", "code=\"503\""));
        // Only webhook deliveries: /readyz and the scrapes are not counted.
        Assert.Equal(5, metrics.Split('\n').Where(l => l.StartsWith("credits_webhook_responses_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Database_up_says_whether_the_database_answers()
    {
        await using var server = await CreditsServer.StartAsync(db);
        Assert.Equal(1, Value(await Scrape(server), "credits_database_up"));

        double whileBroken;
        HttpStatusCode readyWhileBroken;
        await using (await db.BreakAsync())
        {
            server.Time.Advance(BacklogCache);
            whileBroken = Value(await Scrape(server), "credits_database_up");
            using var ready = await server.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
            readyWhileBroken = ready.StatusCode;
        }
        server.Time.Advance(BacklogCache);
        var after = Value(await Scrape(server), "credits_database_up");

        if (db.Provider == Credits.Ledger.Storage.DatabaseProvider.Postgres)
        {
            // Connections refused: down, and /readyz agrees.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyWhileBroken);
            Assert.Equal(0, whileBroken);
        }
        else
        {
            // SQLite's break is another writer holding the lock: reads still work, so it is up, as /readyz says.
            Assert.Equal(HttpStatusCode.OK, readyWhileBroken);
            Assert.Equal(1, whileBroken);
        }
        Assert.Equal(1, after);
    }

    private static readonly TimeSpan BacklogCache = Credits.Telemetry.BacklogGauges.CacheFor + TimeSpan.FromSeconds(1);

    /// <summary>The Prometheus exporter answers repeated scrapes from a copy for 300 ms (real time): wait that out first.</summary>
    private static async Task<string> Scrape(CreditsServer server)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(350), TestContext.Current.CancellationToken);
        return await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
    }
}
