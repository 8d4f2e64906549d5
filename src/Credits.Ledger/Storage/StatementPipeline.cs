using System.Data.Common;
using Npgsql;

namespace Credits.Ledger.Storage;

/// <summary>
/// Sends the statements of a group-commit batch's concurrent work items together. Each item runs
/// its usual code, one statement after another; a statement waits until every other unfinished
/// item is also waiting on one, and then all of them go to PostgreSQL as one
/// <see cref="NpgsqlBatch"/>: one round trip per step for the whole batch instead of one per
/// statement per item. Within the transaction the statements still run in order, so each sees
/// what the ones before it wrote, as if the items had run one after another. If any statement
/// fails, PostgreSQL aborts the transaction and every item sees an error: group commit then rolls
/// back and runs each item alone.
/// </summary>
internal sealed class StatementPipeline(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    : IStatementRunner
{
    private readonly Lock _lock = new();
    private List<Statement> _queued = [];
    private int _running;

    /// <summary>Runs the items concurrently on this transaction; completes when all have finished.</summary>
    public Task RunAsync(IEnumerable<Func<Task>> items)
    {
        var list = items.ToList();
        lock (_lock)
        {
            _running = list.Count;
        }
        return Task.WhenAll(list.Select(RunOneAsync));
    }

    private async Task RunOneAsync(Func<Task> item)
    {
        try
        {
            await Task.Yield();
            await item();
        }
        finally
        {
            List<Statement>? ready;
            lock (_lock)
            {
                _running--;
                ready = TakeIfAllWaiting();
            }
            Send(ready);
        }
    }

    public async Task<int> ExecuteAsync(string sql, object? args, CancellationToken token) =>
        (await Enqueue(sql, args, returnsRows: SqlArguments.ReturnsRows(sql), read: null)).RecordsAffected;

    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken token) =>
        (T?)(await Enqueue(sql, args, returnsRows: true, read: async (reader, ct) => await Rows.SingleOrDefaultAsync<T>(reader, sql, ct))).Value;

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken token) =>
        (IReadOnlyList<T>)(await Enqueue(sql, args, returnsRows: true, read: async (reader, ct) => await Rows.AllAsync<T>(reader, sql, ct))).Value!;

    private Task<Result> Enqueue(string sql, object? args, bool returnsRows, Func<DbDataReader, CancellationToken, Task<object?>>? read)
    {
        var statement = new Statement(sql, args, returnsRows, read);
        List<Statement>? ready;
        lock (_lock)
        {
            _queued.Add(statement);
            ready = TakeIfAllWaiting();
        }
        Send(ready);
        return statement.Completion.Task;
    }

    private List<Statement>? TakeIfAllWaiting()
    {
        if (_queued.Count == 0 || _queued.Count < _running)
        {
            return null;
        }
        var ready = _queued;
        _queued = [];
        return ready;
    }

    private void Send(List<Statement>? ready)
    {
        if (ready is not null)
        {
            _ = SendAsync(ready);
        }
    }

    /// <summary>Every result is read and the reader closed before any item is answered, so the next step never finds the connection busy.</summary>
    private async Task SendAsync(List<Statement> statements)
    {
        var results = new Result[statements.Count];
        try
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var statement in statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = SqlArguments.BindPositional(command.Parameters, command.CreateParameter, statement.Sql, statement.Args);
                batch.BatchCommands.Add(command);
            }
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                for (var i = 0; i < statements.Count; i++)
                {
                    if (!statements[i].ReturnsRows)
                    {
                        continue;
                    }
                    if (reader.FieldCount == 0)
                    {
                        throw new InvalidOperationException($"Statement {i + 1} of a pipelined batch returned no result set: {statements[i].Sql}");
                    }
                    results[i] = new Result(0, statements[i].Read is { } read ? await read(reader, cancellationToken) : null);
                    await reader.NextResultAsync(cancellationToken);
                }
            }
            for (var i = 0; i < statements.Count; i++)
            {
                results[i] = results[i] with { RecordsAffected = batch.BatchCommands[i].RecordsAffected };
            }
        }
        catch (Exception error)
        {
            foreach (var statement in statements)
            {
                statement.Completion.TrySetException(error);
            }
            return;
        }
        for (var i = 0; i < statements.Count; i++)
        {
            statements[i].Completion.TrySetResult(results[i]);
        }
    }

    private readonly record struct Result(int RecordsAffected, object? Value);

    private sealed record Statement(string Sql, object? Args, bool ReturnsRows, Func<DbDataReader, CancellationToken, Task<object?>>? Read)
    {
        /// <summary>
        /// Continuations run inline: the item goes straight on to its next statement on the thread
        /// that read the results, rather than through the thread pool once per statement.
        /// </summary>
        public TaskCompletionSource<Result> Completion { get; } = new();
    }
}
