using Microsoft.Data.Sqlite;

namespace Credits.Ledger.Storage;

/// <summary>
/// A SQLite connection a group-commit lane keeps open, with a cache of its commands, so
/// statements are compiled once per connection and reused: Microsoft.Data.Sqlite keeps a
/// command's compiled statements while its text is unchanged, so the group-commit lane keeps one
/// command per SQL text on the connection it keeps open. Without this, parsing and planning the
/// same few statements was about a third of the server's CPU time.
/// </summary>
internal sealed class KeptSqliteConnection(SqliteConnection connection) : IDisposable
{
    /// <summary>Hot statements are a few dozen fixed texts; SQL built per call beyond this is run uncached.</summary>
    private const int Capacity = 256;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    public IStatementRunner For(SqliteTransaction transaction) => new Runner(this, transaction);

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
        Connection.Dispose();
    }

    private Lease Rent(string sql, object? args, SqliteTransaction transaction)
    {
        var cached = _commands.TryGetValue(sql, out var command);
        if (!cached)
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            if (_commands.Count < Capacity)
            {
                _commands[sql] = command;
                cached = true;
            }
        }
        command!.Transaction = transaction;
        command.Parameters.Clear();
        SqlArguments.Bind(command.Parameters, command.CreateParameter, sql, args);
        return new Lease(command, Owned: !cached);
    }

    /// <summary>A command for one execution; <paramref name="Owned"/> (not cached) ones are disposed after it.</summary>
    private readonly record struct Lease(SqliteCommand Command, bool Owned) : IDisposable
    {
        public void Dispose()
        {
            if (Owned)
            {
                Command.Dispose();
            }
        }
    }

    private sealed class Runner(KeptSqliteConnection statements, SqliteTransaction transaction) : IStatementRunner
    {
        public async Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken)
        {
            using var lease = statements.Rent(sql, args, transaction);
            return await lease.Command.ExecuteNonQueryAsync(cancellationToken);
        }

        public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken)
        {
            using var lease = statements.Rent(sql, args, transaction);
            await using var reader = await lease.Command.ExecuteReaderAsync(cancellationToken);
            return await Rows.SingleOrDefaultAsync<T>(reader, sql, cancellationToken);
        }

        public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken)
        {
            using var lease = statements.Rent(sql, args, transaction);
            await using var reader = await lease.Command.ExecuteReaderAsync(cancellationToken);
            return await Rows.AllAsync<T>(reader, sql, cancellationToken);
        }
    }
}
