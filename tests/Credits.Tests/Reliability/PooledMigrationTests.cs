using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>
/// Schema migrations with several instances behind a transaction-mode pooler: the migration lock is
/// transaction-scoped, so it holds through PgBouncer, where a session lock could be taken on one
/// server connection and released on another.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class PooledMigrationTests(PgBouncerFixture db) : IClassFixture<PgBouncerFixture>
{
    [Fact]
    public async Task Three_instances_starting_at_once_through_PgBouncer_on_an_empty_database_apply_each_script_once()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = db.DatabaseUrl, ["CREDITS_DATA_DIR"] = db.DataDirectory };
        var starting = Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(environment)).ToArray();
        try
        {
            await Task.WhenAll(starting); // each waits until its /readyz answers 200
        }
        finally
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await (await started).DisposeAsync();
            }
        }

        await using var checks = new LedgerChecks(db.DirectSettings());
        var journal = await checks.QueryAsync<(string Script, long Runs)>("SELECT scriptname, COUNT(*) FROM schemaversions GROUP BY scriptname");
        var scripts = typeof(SchemaMigrator).Assembly.GetManifestResourceNames().Where(n => n.Contains(".Schema.Postgres.", StringComparison.Ordinal)).ToArray();
        Assert.Equal(scripts.Order(StringComparer.Ordinal), journal.Select(j => j.Script).Order(StringComparer.Ordinal));
        Assert.All(journal, j => Assert.Equal(1, j.Runs));
    }
}
