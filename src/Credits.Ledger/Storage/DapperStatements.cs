using System.Data.Common;
using Dapper;

namespace Credits.Ledger.Storage;

/// <summary>One statement per round trip through Dapper: transactions outside group commit.</summary>
internal sealed class DapperStatements(DbConnection connection, DbTransaction transaction) : IStatementRunner
{
    public Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(Command(sql, args, cancellationToken));

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<T>(Command(sql, args, cancellationToken));

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<T>(Command(sql, args, cancellationToken))];

    private CommandDefinition Command(string sql, object? args, CancellationToken cancellationToken) =>
        new(sql, args, transaction, cancellationToken: cancellationToken);
}
