using System.Data.Common;
using Dapper;
using DbUp;
using DbUp.Builder;
using DbUp.Engine.Output;
using Npgsql;

namespace Credits.Ledger.Storage;

/// <summary>Applies the numbered scripts under Schema/{provider}/ with DbUp.</summary>
public static class SchemaMigrator
{
    // Any number of instances may start at once against one PostgreSQL: one migrates, the rest wait.
    private const long PostgresMigrationLock = 0x43524544495453; // "CREDITS"

    /// <summary>
    /// The server's start-up migration: the check runs on the server's own connection pool, so the
    /// connection it opens (and, on PostgreSQL, Npgsql's first-connection type loading) serves the
    /// first requests too.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(LedgerDatabase database, CancellationToken cancellationToken) =>
        await IsCurrentAsync(database, cancellationToken) ? [] : await MigrateAsync(database.Settings, cancellationToken);

    public static async Task<IReadOnlyList<string>> MigrateAsync(DatabaseSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
            return await JournalCompleteAsync(connection, settings.Provider)
                ? []
                : Run(DeployChanges.To.SqliteDatabase(settings.ConnectionString), settings.Provider);
        }

        await using var lockConnection = new NpgsqlConnection(settings.ConnectionString);
        await lockConnection.OpenAsync(cancellationToken);
        // Scripts are only ever added, so a complete journal needs no lock and no DbUp engine.
        if (await JournalCompleteAsync(lockConnection, settings.Provider))
        {
            return [];
        }
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresMigrationLock})", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            return Run(DeployChanges.To.PostgresqlDatabase(settings.ConnectionString), settings.Provider);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresMigrationLock})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>True when every script has been applied.</summary>
    public static async Task<bool> IsCurrentAsync(LedgerDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await JournalCompleteAsync(connection, database.Provider);
    }

    /// <summary>
    /// Whether DbUp's journal lists every embedded script, read with one query. Building DbUp's
    /// engine to ask the same took about 0.4 s, a third of the server's start-up.
    /// </summary>
    private static async Task<bool> JournalCompleteAsync(DbConnection connection, DatabaseProvider provider)
    {
        IEnumerable<string> applied;
        try
        {
            applied = await connection.QueryAsync<string>("SELECT scriptname FROM schemaversions");
        }
        catch (DbException)
        {
            return false; // no journal yet: a new database
        }
        var folder = Folder(provider);
        return typeof(SchemaMigrator).Assembly.GetManifestResourceNames()
            .Where(name => name.Contains(folder, StringComparison.Ordinal))
            .All(new HashSet<string>(applied, StringComparer.Ordinal).Contains);
    }

    private static string Folder(DatabaseProvider provider) => $".Schema.{provider}.";

    private static UpgradeEngineBuilder Scripts(UpgradeEngineBuilder builder, DatabaseProvider provider)
    {
        var folder = Folder(provider);
        return builder
            .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly, name => name.Contains(folder, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(new NoUpgradeLog());
    }

    private static IReadOnlyList<string> Run(UpgradeEngineBuilder builder, DatabaseProvider provider)
    {
        var result = Scripts(builder, provider).Build().PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException(
                $"Schema migration failed in script {result.ErrorScript?.Name ?? "(unknown)"}: {result.Error.Message}", result.Error);
        }
        return [.. result.Scripts.Select(s => s.Name)];
    }

    private sealed class NoUpgradeLog : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }
        public void LogDebug(string format, params object[] args) { }
        public void LogInformation(string format, params object[] args) { }
        public void LogWarning(string format, params object[] args) { }
        public void LogError(string format, params object[] args) { }
        public void LogError(Exception ex, string format, params object[] args) { }
    }
}
