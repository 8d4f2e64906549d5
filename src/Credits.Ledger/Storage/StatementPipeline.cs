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
/// <para>
/// Which statement a result set belongs to is stated by the caller, never guessed from the SQL:
/// <see cref="ExecuteAsync"/> reads no rows, the query methods read one result set each. A
/// statement sent through <see cref="ExecuteAsync"/> that returns rows anyway (a SELECT, a
/// RETURNING) leaves a result set nobody claimed: the whole batch then fails, saying so, before any
/// item is answered, so no later statement is ever given another's rows.
/// </para>
/// </summary>
internal sealed class StatementPipeline(NpgsqlConnection connection, NpgsqlTransaction transaction)
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

    public async Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken) =>
        (await Enqueue(sql, args, read: null, cancellationToken)).RecordsAffected;

    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        (T?)(await Enqueue(sql, args, read: async (reader, ct) => await Rows.SingleOrDefaultAsync<T>(reader, sql, ct), cancellationToken)).Value;

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken) =>
        (IReadOnlyList<T>)(await Enqueue(sql, args, read: async (reader, ct) => await Rows.AllAsync<T>(reader, sql, ct), cancellationToken)).Value!;

    private Task<Result> Enqueue(string sql, object? args, Func<DbDataReader, CancellationToken, Task<object?>>? read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var statement = new Statement(sql, args, read, cancellationToken);
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

    /// <summary>
    /// Every result is read and the reader closed before any item is answered, so the next step
    /// never finds the connection busy. The batch is cancelled when any of its statements' callers
    /// cancel: they share one transaction, which is then rolled back anyway.
    /// </summary>
    private async Task SendAsync(List<Statement> statements)
    {
        var results = new Result[statements.Count];
        using var linked = OneToken(statements, out var cancellationToken);
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
                // PostgreSQL's reader skips statements that return no rows, so result sets arrive
                // in the order of the statements that read one.
                var hasResult = true;
                for (var i = 0; i < statements.Count; i++)
                {
                    if (statements[i].Read is not { } read)
                    {
                        continue;
                    }
                    if (!hasResult || reader.FieldCount == 0)
                    {
                        throw new InvalidOperationException($"Statement {i + 1} of a pipelined batch returned no result set: {statements[i].Sql}");
                    }
                    results[i] = new Result(0, await read(reader, cancellationToken));
                    hasResult = await reader.NextResultAsync(cancellationToken);
                }
                if (hasResult && reader.FieldCount > 0)
                {
                    throw new InvalidOperationException(
                        "A statement sent through ExecuteAsync returned rows, so the batch's result sets cannot be matched to its statements; "
                        + "read them with QueryAsync or QuerySingleOrDefaultAsync. Statements: "
                        + string.Join(" | ", statements.Where(s => s.Read is null).Select(s => s.Sql)));
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

    /// <summary>The statements' shared token (group commit gives its items one), or a source linking theirs.</summary>
    private static CancellationTokenSource? OneToken(List<Statement> statements, out CancellationToken token)
    {
        token = statements[0].CancellationToken;
        foreach (var statement in statements)
        {
            if (statement.CancellationToken != token)
            {
                var linked = CancellationTokenSource.CreateLinkedTokenSource([.. statements.Select(s => s.CancellationToken).Distinct()]);
                token = linked.Token;
                return linked;
            }
        }
        return null;
    }

    private readonly record struct Result(int RecordsAffected, object? Value);

    /// <summary>A statement to send; <paramref name="Read"/> reads its one result set, null for a statement that returns no rows.</summary>
    private sealed record Statement(string Sql, object? Args, Func<DbDataReader, CancellationToken, Task<object?>>? Read, CancellationToken CancellationToken)
    {
        /// <summary>
        /// Continuations run inline: the item goes straight on to its next statement on the thread
        /// that read the results, rather than through the thread pool once per statement.
        /// </summary>
        public TaskCompletionSource<Result> Completion { get; } = new();
    }
}
