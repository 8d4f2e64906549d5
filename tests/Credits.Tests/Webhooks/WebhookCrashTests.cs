using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Webhooks;

[Collection(RealServerCollection.Name)]
public sealed class SqliteWebhookCrashTests(SqliteFixture db) : WebhookCrashTests<SqliteFixture>(db);

[Collection(RealServerCollection.Name)]
public sealed class PostgresWebhookCrashTests(PostgresFixture db) : WebhookCrashTests<PostgresFixture>(db);

/// <summary>
/// kill -9 of the real server while messages are queued and being delivered: after a restart on
/// the same data every message arrives (some maybe twice, same webhook-id), none is missing.
/// </summary>
public abstract class WebhookCrashTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Killed_mid_queue_every_message_is_delivered_after_the_restart()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromSeconds(3);
        var secret = WebhookEndpoints.NewSecret();
        var environment = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.DatabaseUrl, ["CREDITS_DATA_DIR"] = db.DataDirectory,
            ["CREDITS_WEBHOOK_URL"] = receiver.Url, ["CREDITS_WEBHOOK_SECRET"] = secret,
        };
        await using (var doomed = await ServerProcess.StartAsync(environment))
        {
            for (var i = 0; i < 30; i++)
            {
                using var response = await doomed.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 10), TestContext.Current.CancellationToken);
                Assert.True(response.IsSuccessStatusCode);
            }
            await receiver.WaitForAsync(r => r.Count >= 1);
            await doomed.KillAsync();
        }
        await using var database = new LedgerDatabase(db.Settings());
        var written = (await database.ReadAsync(c => Dapper.SqlMapper.QueryAsync<string>(c,
            "SELECT id FROM webhook_messages WHERE endpoint_id = @id", new { id = WebhookEndpoints.ConfiguredId }), TestContext.Current.CancellationToken)).ToHashSet();
        Assert.Equal(30, written.Count);
        var delivered = await database.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
            $"SELECT COUNT(*) FROM webhook_messages WHERE status = '{MessageStatus.Delivered}'"), TestContext.Current.CancellationToken);
        Assert.True(delivered < 30, "everything was delivered before the kill; nothing was tested");

        await using var restarted = await ServerProcess.StartAsync(environment);
        // A message claimed when the process died waits out its lease (15 s) and is sent again.
        await receiver.WaitForAsync(r => written.IsSubsetOf(r.Select(x => x.Id)), TimeSpan.FromSeconds(60));
        var received = receiver.Verified(secret);
        Assert.All(received, r => Assert.Equal("credits.granted", r.Type));
        Assert.Equal(written.Order(), received.Select(r => r.Id).Distinct().Order());
    }
}
