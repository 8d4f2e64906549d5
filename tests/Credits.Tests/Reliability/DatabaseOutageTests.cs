using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>
/// docs/guarantees.md §2 and §5 under a real outage: PostgreSQL stops while the real server is taking deliveries.
/// Webhooks must fail fast with a 5xx (so Stripe retries instead of timing out), /readyz must say
/// so, and the same process must recover once PostgreSQL is back.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class DatabaseOutageTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const int DatabaseTimeoutSeconds = 2;

    // Stripe gives up on an answer after about 10 s and retries later; a request that outlives this bound is
    // hanging, and the HttpClient timeout turns it into a test failure rather than a stall.
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(DatabaseTimeoutSeconds + 20);

    [Fact]
    public async Task Stopped_PostgreSQL_gets_prompt_5xx_and_the_same_process_recovers_when_it_returns()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        await using var server = await ServerProcess.StartAsync(
            new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = postgres.DatabaseUrl,
                ["CREDITS_DATA_DIR"] = postgres.AppDataDirectory,
                ["CREDITS_DB_TIMEOUT_SECONDS"] = DatabaseTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            HangBound);
        var cancellationToken = TestContext.Current.CancellationToken;
        var user = StripeEvents.NewId("u_outage");
        var sent = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var unacknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var serverErrors = 0;

        async Task<HttpStatusCode> DeliverNewAsync()
        {
            var json = StripeEvents.Paid(user, 10);
            sent[json] = json;
            HttpResponseMessage response;
            try
            {
                response = await server.PostEventAsync(json, cancellationToken);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"a webhook hung for more than {HangBound.TotalSeconds} s (CREDITS_DB_TIMEOUT_SECONDS={DatabaseTimeoutSeconds})\n{server.Output}");
                throw;
            }
            using var _ = response;
            if (!response.IsSuccessStatusCode)
            {
                unacknowledged[json] = json;
                if ((int)response.StatusCode >= 500)
                {
                    Interlocked.Increment(ref serverErrors);
                }
            }
            return response.StatusCode;
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await DeliverNewAsync());
        }

        // Load keeps flowing from four senders while the database goes away.
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < 200 && !stopLoad.IsCancellationRequested; n++)
            {
                await DeliverNewAsync();
            }
        }, cancellationToken)).ToArray();
        await Task.Delay(300, cancellationToken);
        await postgres.StopAsync();

        for (var i = 0; i < 5; i++)
        {
            var status = await DeliverNewAsync();
            Assert.True((int)status >= 500, $"a webhook during the outage answered {(int)status}, not a 5xx\n{server.Output}");
        }
        using (var ready = await server.Client.GetAsync("/readyz", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        Assert.False(server.HasExited, $"the server died during the outage\n{server.Output}");

        await postgres.StartAsync();
        await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        for (var i = 0; i < 5; i++)
        {
            var status = await DeliverNewAsync();
            Assert.True(status == HttpStatusCode.OK, $"a new delivery after recovery answered {(int)status}\n{server.Output}");
        }
        foreach (var json in unacknowledged.Keys.ToList())
        {
            using var response = await server.PostEventAsync(json, cancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"redelivery after recovery answered {(int)response.StatusCode}\n{server.Output}");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            Assert.Contains(body.RootElement.GetProperty("status").GetString(), new[] { "granted", "duplicate" });
        }

        Assert.True(serverErrors >= 5, $"only {serverErrors} deliveries saw the outage");
        await using var checks = new LedgerChecks(global::Credits.Ledger.Storage.DatabaseSettings.Postgres(postgres.DatabaseUrl));
        var rows = await checks.PurchaseRowsPerSessionAsync();
        Assert.Equal(sent.Count, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(1, count));
        Assert.Equal(10L * sent.Count, (await checks.BalancesAsync())[user]);
        await checks.AssertBalancesEqualLedgerAsync();
    }
}
