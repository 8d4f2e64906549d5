using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Credits.Tests.Webhooks;

public sealed class SqliteOutboxRollbackTests(SqliteFixture db) : OutboxRollbackTests<SqliteFixture>(db);

public sealed class PostgresOutboxRollbackTests(PostgresFixture db) : OutboxRollbackTests<PostgresFixture>(db);

/// <summary>
/// A message is written in the transaction of its change: when group commit rolls a batch back
/// because one item failed, the failed item's message is gone and each batch-mate's is written
/// exactly once when it runs again alone.
/// </summary>
public abstract class OutboxRollbackTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_mates_failure_leaves_no_message_for_it_and_one_for_each_other()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);
        await using var database = new LedgerDatabase(db.Settings());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ledger = new CreditLedger(database, time);
        var endpoints = new WebhookEndpoints(database, time);
        var endpoint = await endpoints.AddAsync("http://127.0.0.1:9/unused", null, null, Cancel);
        await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 64);
        var accounts = Enumerable.Range(0, 20).Select(i => $"ob_{Guid.NewGuid():N}").ToList();
        var poisoned = accounts[7];

        var tasks = accounts.Select(account => groupCommit.RunAsync(account, async (tx, token) =>
        {
            await ledger.UpsertAccountAsync(tx, account, null, token);
            var balance = (await ledger.PostAsync(tx, new Posting(account, 5, "grant", "test", Guid.NewGuid().ToString("N")), token)).Balance;
            await Outbox.EnqueueAsync(tx, new OutboxChange(WebhookEventTypes.CreditsGranted, account, new { account_id = account, balance }), ledger.Now(), token);
            return account == poisoned ? throw new InvalidOperationException("poisoned") : balance;
        }, Cancel)).ToList();
        await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[7]);
        await Task.WhenAll(tasks.Where((_, i) => i != 7));

        foreach (var account in accounts)
        {
            var messages = await database.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
                "SELECT COUNT(*) FROM webhook_messages WHERE account_id = @account AND endpoint_id = @id", new { account, id = endpoint.Id }), Cancel);
            Assert.Equal(account == poisoned ? 0 : 1, messages);
        }
        await endpoints.DeleteAsync(endpoint.Id, Cancel);
    }
}
