using System.Data.Common;
using Dapper;

namespace Credits.Ledger.Storage;

/// <summary>One write transaction; every statement of a business effect runs inside one of these.</summary>
public sealed class LedgerTransaction(DbConnection connection, DbTransaction transaction, SemaphoreSlim? gate) : IAsyncDisposable
{
    private bool _disposed;

    public DbConnection Connection { get; } = connection;

    public Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(Command(sql, args, cancellationToken));

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        Connection.QuerySingleOrDefaultAsync<T>(Command(sql, args, cancellationToken));

    public Task<IEnumerable<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        Connection.QueryAsync<T>(Command(sql, args, cancellationToken));

    public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            gate?.Release();
        }
    }

    private CommandDefinition Command(string sql, object? args, CancellationToken cancellationToken) =>
        new(sql, args, transaction, cancellationToken: cancellationToken);
}
