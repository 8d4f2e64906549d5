using System.Collections.Concurrent;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>
/// docs/guarantees.md §1, exactly once with any number of instances: two `credits serve` processes on one
/// PostgreSQL take hundreds of Checkout Sessions, each announced by two events (completed and
/// async_payment_succeeded) that are each delivered several times, shuffled, concurrently, split
/// across both processes.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class DuplicateStormTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    private static readonly int Sessions = Soak.Size(200, 2000);
    private static readonly int Copies = Soak.Size(3, 5);
    private const int Users = 37;

    [Fact]
    public async Task Two_instances_under_a_shuffled_duplicate_storm_grant_every_session_exactly_once()
    {
        // Both start at once, as a deployment's instances do: the schema migration lock decides.
        var starting = new[] { ServerProcess.StartAsync(db), ServerProcess.StartAsync(db) };
        ServerProcess[] servers;
        try
        {
            servers = await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await (await started).DisposeAsync();
            }
            throw;
        }
        await using var first = servers[0];
        await using var second = servers[1];

        var random = new Random(8);
        var users = Enumerable.Range(0, Users).Select(_ => StripeEvents.NewId("u_storm")).ToArray();
        var expected = users.ToDictionary(u => u, _ => 0L, StringComparer.Ordinal);
        var events = new List<(string SessionId, string EventId, string Json)>();
        for (var i = 0; i < Sessions; i++)
        {
            var user = users[i % Users];
            var credits = 1 + random.Next(500);
            expected[user] += credits;
            // Half are paid at once; the others are bank debits paid later. Both events name the session.
            var session = StripeEvents.CheckoutSession(userId: user, credits: credits, paymentStatus: i % 2 == 0 ? "paid" : "unpaid");
            var sessionId = session["id"]!.GetValue<string>();
            var completed = StripeEvents.Completed(session);
            var paidLater = session.DeepClone().AsObject();
            paidLater["payment_status"] = "paid";
            var succeeded = StripeEvents.Event("checkout.session.async_payment_succeeded", paidLater);
            events.Add((sessionId, EventId(completed), completed));
            events.Add((sessionId, EventId(succeeded), succeeded));
        }
        var deliveries = events.SelectMany(e => Enumerable.Repeat(e, Copies)).ToArray();
        random.Shuffle(deliveries);

        var answers = new ConcurrentBag<(string SessionId, string Status)>();
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(deliveries.Select((d, i) => (Delivery: d, Server: servers[i % 2])),
            new ParallelOptions { MaxDegreeOfParallelism = 24, CancellationToken = TestContext.Current.CancellationToken },
            async (item, cancellationToken) =>
            {
                using var response = await item.Server.PostEventAsync(item.Delivery.Json, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{item.Delivery.EventId} on {item.Server.BaseAddress}: {(int)response.StatusCode} {body}");
                    return;
                }
                using var json = JsonDocument.Parse(body);
                answers.Add((item.Delivery.SessionId, json.RootElement.GetProperty("status").GetString()!));
            });

        Assert.True(failures.IsEmpty, $"{failures.Count} deliveries were not acknowledged, e.g. {string.Join("\n", failures.Take(5))}\n{first.Output}\n{second.Output}");
        var grantsAnswered = answers.Where(a => a.Status == "granted").GroupBy(a => a.SessionId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(events.Select(e => e.SessionId).Distinct(), s => Assert.Equal(1, grantsAnswered.GetValueOrDefault(s)));

        await using var checks = new LedgerChecks(db.Settings());
        var rows = await checks.PurchaseRowsPerSessionAsync();
        Assert.Equal(Sessions, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(1, count));
        var balances = await checks.BalancesAsync();
        Assert.All(users, u => Assert.Equal(expected[u], balances[u]));
        await checks.AssertBalancesEqualLedgerAsync();
        Assert.Equal(events.Count, (await checks.StoredEventIdsAsync()).Count);
        Assert.Equal(Sessions, await checks.ScalarAsync<long>("SELECT COUNT(*) FROM checkout_payments WHERE status = 'granted'"));
    }

    private static string EventId(string json) => StripeEvents.Parse(json).GetProperty("id").GetString()!;
}
