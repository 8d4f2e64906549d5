using System.Collections.Concurrent;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

[Collection(RealServerCollection.Name)]
public sealed class SqliteCrashTests(SqliteFixture db) : CrashTests<SqliteFixture>(db);

[Collection(RealServerCollection.Name)]
public sealed class PostgresCrashTests(PostgresFixture db) : CrashTests<PostgresFixture>(db);

/// <summary>
/// docs/guarantees.md §2, acknowledged means durable: SIGKILL the real server while deliveries are in flight,
/// start it again on the same data and re-deliver whatever did not get a 2xx, as Stripe would.
/// </summary>
public abstract class CrashTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static readonly int Sessions = Soak.Size(160, 1600);
    private const int Users = 23;

    [Fact]
    public async Task Killing_the_server_under_load_loses_nothing_acknowledged_and_retries_grant_once()
    {
        var random = new Random(9);
        var users = Enumerable.Range(0, Users).Select(_ => StripeEvents.NewId("u_crash")).ToArray();
        var expected = users.ToDictionary(u => u, _ => 0L, StringComparer.Ordinal);
        var events = new List<Delivery>();
        for (var i = 0; i < Sessions; i++)
        {
            var user = users[i % Users];
            var credits = 1 + random.Next(300);
            expected[user] += credits;
            var session = StripeEvents.CheckoutSession(userId: user, credits: credits);
            var completed = StripeEvents.Completed(session);
            events.Add(new Delivery(session["id"]!.GetValue<string>(), StripeEvents.Parse(completed).GetProperty("id").GetString()!, completed));
        }

        var acknowledged = new ConcurrentDictionary<string, Delivery>(StringComparer.Ordinal);
        string firstOutput;
        await using (var doomed = await ServerProcess.StartAsync(db))
        {
            var killAt = Sessions / 3;
            var kill = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var killer = kill.Task.ContinueWith(_ => doomed.KillAsync(), TaskScheduler.Default).Unwrap();
            await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 12, CancellationToken = TestContext.Current.CancellationToken },
                async (delivery, cancellationToken) =>
                {
                    if (killer.IsCompleted)
                    {
                        return;
                    }
                    try
                    {
                        using var response = await doomed.PostEventAsync(delivery.Json, cancellationToken);
                        if (response.IsSuccessStatusCode && acknowledged.TryAdd(delivery.EventId, delivery) && acknowledged.Count >= killAt)
                        {
                            kill.TrySetResult();
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        // The connection died with the process: not acknowledged, Stripe will retry.
                    }
                });
            kill.TrySetResult();
            await killer;
            firstOutput = doomed.Output;
        }
        Assert.InRange(acknowledged.Count, Sessions / 3, Sessions - 1);

        await using var restarted = await ServerProcess.StartAsync(db);
        await using var checks = new LedgerChecks(db.Settings());
        var stored = await checks.StoredEventIdsAsync();
        var rows = await checks.PurchaseRowsPerSessionAsync();
        Assert.All(acknowledged.Values, d =>
        {
            Assert.True(stored.Contains(d.EventId), $"event {d.EventId} was acknowledged but is not stored\n{firstOutput}");
            Assert.True(rows.GetValueOrDefault(d.SessionId) == 1, $"session {d.SessionId} was acknowledged but has {rows.GetValueOrDefault(d.SessionId)} purchase rows");
        });
        Assert.All(rows.Values, count => Assert.Equal(1, count));
        await checks.AssertBalancesEqualLedgerAsync();

        foreach (var delivery in events.Where(e => !acknowledged.ContainsKey(e.EventId)))
        {
            using var response = await restarted.PostEventAsync(delivery.Json, TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode,
                $"redelivery of {delivery.EventId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}\n{restarted.Output}");
        }

        rows = await checks.PurchaseRowsPerSessionAsync();
        Assert.Equal(Sessions, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(1, count));
        var balances = await checks.BalancesAsync();
        Assert.All(users, u => Assert.Equal(expected[u], balances[u]));
        await checks.AssertBalancesEqualLedgerAsync();
        Assert.Equal(Sessions, (await checks.StoredEventIdsAsync()).Count);
    }

    private sealed record Delivery(string SessionId, string EventId, string Json);
}
