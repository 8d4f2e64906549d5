using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Credits.Ledger.Storage;

/// <summary>
/// Opens connections and write transactions on either provider. SQLite has one writer at a
/// time, so writes in this process queue on a gate instead of spinning on SQLITE_BUSY.
/// </summary>
public sealed class LedgerDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _sqliteWriteGate = new(1, 1);

    static LedgerDatabase()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public LedgerDatabase(DatabaseSettings settings)
    {
        Settings = settings;
        if (settings.Provider == DatabaseProvider.Postgres)
        {
            _postgres = NpgsqlDataSource.Create(settings.ConnectionString);
        }
    }

    public DatabaseSettings Settings { get; }

    public DatabaseProvider Provider => Settings.Provider;

    private volatile bool _schemaCurrent;

    /// <summary>
    /// Whether every schema script has been applied. Once true it stays true for this process
    /// (scripts are only ever added by a newer build), so readiness probes stay cheap.
    /// </summary>
    public async Task<bool> IsSchemaCurrentAsync(CancellationToken cancellationToken)
    {
        if (!_schemaCurrent)
        {
            _schemaCurrent = await SchemaMigrator.IsCurrentAsync(this, cancellationToken);
        }
        return _schemaCurrent;
    }

    /// <summary>
    /// A PostgreSQL error that says this transaction lost a race with another one, not that the
    /// work or the database is wrong: a deadlock (40P01), a serialization failure (40001), or a
    /// unique key that a concurrent transaction inserted first (23505). Run again from the start,
    /// idempotent work sees the winner's rows and answers as a retry would.
    /// </summary>
    public static bool IsLostRace(Exception error) =>
        error is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.UniqueViolation };

    /// <summary>Called after this process migrated the schema itself.</summary>
    public void MarkSchemaCurrent() => _schemaCurrent = true;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }
        var connection = new SqliteConnection(Settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Starts a write transaction. Dispose without commit rolls it back.</summary>
    public Task<LedgerTransaction> BeginAsync(CancellationToken cancellationToken) => BeginOnAsync(null, cancellationToken);

    /// <summary>A write transaction on <paramref name="kept"/> (left open afterwards), or on a connection of its own.</summary>
    private async Task<LedgerTransaction> BeginOnAsync(SqliteConnection? kept, CancellationToken cancellationToken)
    {
        SemaphoreSlim? gate = null;
        if (Provider == DatabaseProvider.Sqlite)
        {
            await _sqliteWriteGate.WaitAsync(cancellationToken);
            gate = _sqliteWriteGate;
        }
        DbConnection? opened = null;
        try
        {
            var connection = kept ?? (opened = await OpenAsync(cancellationToken));
            // SQLite: BEGIN IMMEDIATE takes the write lock up front (another process may hold it).
            var transaction = connection is SqliteConnection sqlite
                ? sqlite.BeginTransaction(deferred: false)
                : await connection.BeginTransactionAsync(cancellationToken);
            return new LedgerTransaction(connection, transaction, gate, ownsConnection: kept is null, fastPaths: Settings.FastPaths);
        }
        catch
        {
            if (opened is not null)
            {
                await opened.DisposeAsync();
            }
            gate?.Release();
            throw;
        }
    }

    /// <summary>
    /// A write transaction for group commit. PostgreSQL: statements of concurrent work items are
    /// pipelined (<see cref="StatementPipeline"/>). SQLite: it runs on the lane's kept connection,
    /// whose compiled statements are reused (<see cref="KeptSqliteConnection"/>).
    /// </summary>
    internal async Task<(LedgerTransaction Transaction, StatementPipeline? Pipeline)> BeginBatchAsync(
        KeptSqliteConnection? kept, CancellationToken cancellationToken)
    {
        var tx = await BeginOnAsync(kept?.Connection, cancellationToken);
        if (kept is not null)
        {
            tx.Statements = kept.For((SqliteTransaction)tx.Transaction);
            return (tx, null);
        }
        if (tx.Connection is not NpgsqlConnection connection || !Settings.Pipeline)
        {
            return (tx, null);
        }
        var pipeline = new StatementPipeline(connection, (NpgsqlTransaction)tx.Transaction);
        tx.Statements = pipeline;
        return (tx, pipeline);
    }

    /// <summary>A SQLite connection kept open by a group-commit lane, with its statement cache; null on PostgreSQL.</summary>
    internal async Task<KeptSqliteConnection?> KeepConnectionAsync(CancellationToken cancellationToken) =>
        Provider == DatabaseProvider.Sqlite ? new KeptSqliteConnection((SqliteConnection)await OpenAsync(cancellationToken)) : null;

    /// <summary>The one way to read outside a transaction: <paramref name="read"/> runs its Dapper queries on a connection of its own.</summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await read(connection);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        _sqliteWriteGate.Dispose();
    }
}
