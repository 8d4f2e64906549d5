using System.Net;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Webhooks;

/// <summary>
/// Two Credits servers on one PostgreSQL share the outbox: every message is delivered, and no
/// message is ever being sent by both at the same moment (FOR UPDATE SKIP LOCKED and the lease).
/// </summary>
public sealed class TwoInstanceWebhookTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_instances_deliver_each_message_and_never_one_twice_at_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(20);
        await using var first = await CreditsServer.StartAsync(db);
        await using var second = await CreditsServer.StartAsync(db);
        var users = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            users.Add(await first.UserWithAsync(100));
        }
        var (endpoint, secret) = await first.AddEndpointAsync(receiver.Url, ["credits.spent"]);

        var spends = users.SelectMany(user => Enumerable.Range(0, 5).Select(i => (i % 2 == 0 ? first : second).SpendAsync(user, 1, $"s{i}"))).ToArray();
        foreach (var response in await Task.WhenAll(spends))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        await receiver.WaitForAsync(r => r.Select(x => x.Id).Distinct().Count() >= 100, TimeSpan.FromSeconds(60));
        var received = receiver.Verified(secret);
        var ids = await first.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_messages WHERE endpoint_id = @endpoint", new { endpoint });
        Assert.Equal(100, ids);
        Assert.Equal(100, received.Select(r => r.Id).Distinct().Count());
        Assert.Equal(1, receiver.MaxInFlightPerMessage);
        // Per account, the balances arrive in commit order: each one lower than the one before.
        foreach (var user in users)
        {
            var balances = received.Where(r => r.Data.GetProperty("account_id").GetString() == user).Select(r => r.Data.GetProperty("balance").GetInt64()).Distinct().ToArray();
            Assert.Equal([99L, 98L, 97L, 96L, 95L], balances);
        }
    }
}
