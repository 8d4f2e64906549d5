using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Credits.Tests.Ledger;

public sealed class SqliteGroupCommitTests(SqliteFixture db) : GroupCommitTests<SqliteFixture>(db);

public sealed class PostgresGroupCommitTests(PostgresFixture db) : GroupCommitTests<PostgresFixture>(db);

/// <summary>Concurrent work shares transactions, is answered only after the commit, and one failure stays with its caller.</summary>
public abstract class GroupCommitTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<(LedgerDatabase Database, CreditLedger Ledger)> OpenAsync()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);
        var database = new LedgerDatabase(db.Settings());
        return (database, new CreditLedger(database, new FakeTimeProvider(DateTimeOffset.UtcNow)));
    }

    private static Func<LedgerTransaction, CancellationToken, Task<long>> Grant(CreditLedger ledger, string account, long credits) =>
        async (tx, token) =>
        {
            await ledger.UpsertAccountAsync(tx, account, null, token);
            return (await ledger.PostAsync(tx, new Posting(account, credits, "grant", "test", Guid.NewGuid().ToString("N")), token)).Balance;
        };

    [Fact]
    public async Task Concurrent_work_is_batched_and_every_result_is_committed_when_answered()
    {
        var (database, ledger) = await OpenAsync();
        await using var _ = database;
        await using var groupCommit = new GroupCommit(database, lanes: 2, maxBatch: 64);
        var accounts = Enumerable.Range(0, 500).Select(i => $"gc_{Guid.NewGuid():N}").ToList();

        var answers = accounts.Select(async account =>
        {
            await groupCommit.RunAsync(account, Grant(ledger, account, 3), Cancel);
            // Answered means committed: a fresh connection already sees it.
            return await ledger.GetAccountAsync(account, Cancel);
        }).ToList();
        var seen = await Task.WhenAll(answers);

        Assert.All(seen, account => Assert.Equal(3, account?.Balance));
        Assert.Equal(500, groupCommit.Items);
        Assert.True(groupCommit.Batches < groupCommit.Items, $"{groupCommit.Batches} transactions for {groupCommit.Items} items: nothing was grouped");
        Assert.Equal(0, groupCommit.SplitBatches);
    }

    [Fact]
    public async Task A_failing_item_fails_alone_and_its_batch_mates_commit()
    {
        var (database, ledger) = await OpenAsync();
        await using var _ = database;
        await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 64);
        var accounts = Enumerable.Range(0, 20).Select(i => $"gc_{Guid.NewGuid():N}").ToList();
        var poisoned = accounts[7];

        var tasks = accounts.Select(account => groupCommit.RunAsync(account, async (tx, token) =>
        {
            var balance = await Grant(ledger, account, 5)(tx, token);
            return account == poisoned ? throw new InvalidOperationException("poisoned") : balance;
        }, Cancel)).ToList();
        await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[7]);
        await Task.WhenAll(tasks.Where((_, i) => i != 7));

        foreach (var account in accounts)
        {
            Assert.Equal(account == poisoned ? null : 5, (await ledger.GetAccountAsync(account, Cancel))?.Balance);
        }
    }

    [Fact]
    public async Task Work_sharing_a_key_runs_one_item_after_another_even_inside_one_batch()
    {
        var (database, ledger) = await OpenAsync();
        await using var _ = database;
        var account = $"gc_{Guid.NewGuid():N}";
        await using (var tx = await database.BeginAsync(Cancel))
        {
            await ledger.UpsertAccountAsync(tx, account, null, Cancel);
            await tx.CommitAsync(Cancel);
        }
        await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 64);

        // A read, then a write based on it, as two statements: if two items sharing the key were
        // interleaved (pipelined on PostgreSQL), both would read the same balance and one update would be lost.
        var tasks = Enumerable.Range(0, 40).Select(i => groupCommit.RunAsync([account, $"other_{i}"], async (tx, token) =>
        {
            var read = await tx.QuerySingleOrDefaultAsync<long>("SELECT balance FROM accounts WHERE id = @account", new { account }, token);
            await tx.ExecuteAsync("UPDATE accounts SET balance = @next WHERE id = @account", new { account, next = read + 1 }, token);
            return read;
        }, Cancel)).ToList();
        var reads = await Task.WhenAll(tasks);

        Assert.Equal(40, (await ledger.GetAccountAsync(account, Cancel))?.Balance);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), reads.Order());
    }

    [Fact]
    public async Task Rows_of_a_select_sent_through_execute_never_reach_another_items_query()
    {
        var (database, _) = await OpenAsync();
        await using var __ = database;
        await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 64);

        // One careless item runs a SELECT through ExecuteAsync; its batch-mates each read their own number.
        var careless = groupCommit.RunAsync("careless", async (tx, token) =>
        {
            await tx.ExecuteAsync("SELECT -7", null, token);
            return await tx.QuerySingleOrDefaultAsync<long>("SELECT -8", null, token);
        }, Cancel);
        var readers = Enumerable.Range(1, 30).Select(i => groupCommit.RunAsync<long>($"reader_{i}", async (tx, token) =>
            await tx.QuerySingleOrDefaultAsync<long>("SELECT @i", new { i = (long)i }, token), Cancel)).ToList();

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), await Task.WhenAll(readers));
        try
        {
            // Dapper and SQLite discard the rows; the PostgreSQL pipeline refuses the batch, saying why.
            Assert.Equal(-8, await careless);
        }
        catch (InvalidOperationException error)
        {
            Assert.Equal(DatabaseProvider.Postgres, database.Provider);
            Assert.Contains("ExecuteAsync returned rows", error.Message);
        }
    }

    [Fact]
    public async Task Work_that_loses_a_unique_key_race_to_another_transaction_runs_again_and_sees_the_winner()
    {
        var (database, _) = await OpenAsync();
        await using var __ = database;
        Assert.SkipWhen(database.Provider != DatabaseProvider.Postgres, "SQLite has one writer: no other transaction can hold a key this work waits on.");
        await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 8);
        var account = $"gc_{Guid.NewGuid():N}";
        const string insert = $"INSERT INTO accounts ({CreditLedger.AccountColumns}) VALUES (@account, NULL, 0, 0, 0)";

        // Another process inserts the same key and has not committed yet.
        await using var rival = await database.OpenAsync(Cancel);
        await using var rivalTx = await rival.BeginTransactionAsync(Cancel);
        await using (var command = rival.CreateCommand())
        {
            command.Transaction = rivalTx;
            command.CommandText = insert.Replace("@account", $"'{account}'", StringComparison.Ordinal);
            await command.ExecuteNonQueryAsync(Cancel);
        }

        // Check, then insert: the check cannot see the rival's row, so the insert waits on it and then fails with 23505.
        var work = groupCommit.RunAsync(account, async (tx, token) =>
        {
            if (await tx.QuerySingleOrDefaultAsync<long?>("SELECT 1 FROM accounts WHERE id = @account", new { account }, token) is not null)
            {
                return "found";
            }
            await tx.ExecuteAsync(insert, new { account }, token);
            return "inserted";
        }, Cancel);
        await WaitUntilBlockedAsync(rival, rivalTx);
        await rivalTx.CommitAsync(Cancel);

        Assert.Equal("found", await work);
        Assert.Equal(1, groupCommit.RaceRetries);
    }

    /// <summary>Waits until another session waits on the rival's transaction (the work's insert behind the rival's row).</summary>
    private static async Task WaitUntilBlockedAsync(System.Data.Common.DbConnection rival, System.Data.Common.DbTransaction rivalTx)
    {
        for (var i = 0; i < 400; i++)
        {
            var waiting = await Dapper.SqlMapper.ExecuteScalarAsync<long>(rival, new Dapper.CommandDefinition(
                "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND transactionid = pg_current_xact_id()::xid",
                transaction: rivalTx, cancellationToken: Cancel));
            if (waiting > 0)
            {
                return;
            }
            await Task.Delay(25, Cancel);
        }
        Assert.Fail("the work never waited on the rival's row");
    }
}
