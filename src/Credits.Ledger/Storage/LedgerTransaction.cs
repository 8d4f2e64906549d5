using System.Data.Common;

namespace Credits.Ledger.Storage;

/// <summary>One write transaction; every statement of a business effect runs inside one of these.</summary>
public sealed class LedgerTransaction : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly DbTransaction _transaction;
    private readonly SemaphoreSlim? _gate;
    private readonly bool _ownsConnection;
    private bool _disposed;

    internal LedgerTransaction(DbConnection connection, DbTransaction transaction, SemaphoreSlim? gate, bool ownsConnection = true, bool fastPaths = false)
    {
        FastPaths = fastPaths && connection is Npgsql.NpgsqlConnection;
        _connection = connection;
        _transaction = transaction;
        _gate = gate;
        _ownsConnection = ownsConnection;
        Statements = new DapperStatements(connection, transaction);
    }

    /// <summary>How statements reach the database; group commit swaps in a pipelined or prepared runner.</summary>
    internal IStatementRunner Statements { get; set; }

    public DatabaseProvider Provider => _connection is Npgsql.NpgsqlConnection ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    /// <summary>
    /// Whether a one-statement fast path may be tried: PostgreSQL (SQLite has no writes inside
    /// WITH) unless CREDITS_FAST_PATHS=false. Each fast path does what its per-statement path does
    /// and, when it cannot, writes nothing and leaves the request to that path.
    /// </summary>
    public bool FastPaths { get; }

    internal DbConnection Connection => _connection;

    internal DbTransaction Transaction => _transaction;

    public Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken) =>
        Statements.ExecuteAsync(sql, args, cancellationToken);

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        Statements.QuerySingleOrDefaultAsync<T>(sql, args, cancellationToken);

    public Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        Statements.QueryAsync<T>(sql, args, cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await _transaction.DisposeAsync();
            if (_ownsConnection)
            {
                await _connection.DisposeAsync();
            }
        }
        finally
        {
            _gate?.Release();
        }
    }
}
