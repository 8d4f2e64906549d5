using System.Threading.Channels;

namespace Credits.Ledger.Storage;

/// <summary>
/// Durable group commit: concurrent callers' work runs in one shared transaction and each caller
/// is answered only after that transaction commits, so one fsync serves many requests and
/// nothing is acknowledged before it is durable. Work is routed to a lane by key (work on one
/// account or payment tends to share a lane, so lanes rarely wait on each other's locks). If
/// anything in a batch throws, the batch is rolled back and each item is run alone in its own
/// transaction: a failure reaches only the caller whose work failed. A lone item that lost a race
/// with another process (a deadlock, a serialization failure, a unique key another transaction
/// took first) runs again a few times before it fails: another instance's batch can lock the
/// same rows in another order, and the next attempt sees what the winner committed. Work must
/// therefore be safe to run again from the start, which idempotent-by-constraint code is.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    private readonly LedgerDatabase _database;
    private readonly int _maxBatch;
    private readonly Channel<IWorkItem>[] _lanes;
    private readonly Task[] _writers;
    private readonly CancellationTokenSource _stopping = new();

    public GroupCommit(LedgerDatabase database, int lanes, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _database = database;
        _maxBatch = maxBatch;
        _lanes = [.. Enumerable.Range(0, lanes).Select(_ => Channel.CreateUnbounded<IWorkItem>(new UnboundedChannelOptions { SingleReader = true }))];
        _writers = [.. _lanes.Select(lane => Task.Run(() => WriteAsync(lane.Reader)))];
    }

    private long _batches;
    private long _items;
    private long _splitBatches;
    private long _raceRetries;

    /// <summary>Transactions committed so far, and the work items they carried: items ÷ batches is the mean batch size.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public long Items => Interlocked.Read(ref _items);

    /// <summary>Batches rolled back because an item failed; their items then ran one by one.</summary>
    public long SplitBatches => Interlocked.Read(ref _splitBatches);

    /// <summary>Lone items run again after losing a race with another process (deadlock, serialization failure, unique key).</summary>
    public long RaceRetries => Interlocked.Read(ref _raceRetries);

    /// <summary>
    /// Runs <paramref name="work"/> in a shared write transaction and completes after it commits.
    /// The caller's token only stops waiting for a place in the queue; work that has started is
    /// finished, since its batch-mates share the transaction.
    /// <para>
    /// The rule for <paramref name="work"/>: it awaits only its own statements on the transaction
    /// it is given, one at a time (never two at once, never anything that waits on another work
    /// item), and is safe to run again from the start. On PostgreSQL a batch's items run
    /// concurrently and a step is sent once every unfinished item waits on a statement, so work
    /// that waited on something else would hold up the whole batch.
    /// </para>
    /// </summary>
    public Task<T> RunAsync<T>(string? key, Func<LedgerTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(key is null ? [] : [key], work, cancellationToken);

    /// <summary>
    /// As above, for work that touches several things (an event's id, its session, payment intent
    /// and buyer). Work items of one batch that share a key never run interleaved: the later one
    /// starts after the earlier one finished, as if they had run one after another. The first key
    /// picks the lane.
    /// </summary>
    public Task<T> RunAsync<T>(IReadOnlyList<string> keys, Func<LedgerTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<T>(keys, work);
        var lane = _lanes.Length == 1 || keys.Count == 0 ? 0 : (int)((uint)StringComparer.Ordinal.GetHashCode(keys[0]) % (uint)_lanes.Length);
        if (!_lanes[lane].Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(GroupCommit), "The server is shutting down.");
        }
        return item.Task;
    }

    private async Task WriteAsync(ChannelReader<IWorkItem> reader)
    {
        var lane = new Lane(_database);
        var batch = new List<IWorkItem>(_maxBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            await RunBatchAsync(lane, batch);
            batch.Clear();
        }
        lane.Dispose();
    }

    /// <summary>How often a lone item that lost a race with another process runs again before its caller sees the error.</summary>
    private const int MaxRaceRetries = 3;

    private async Task RunBatchAsync(Lane lane, List<IWorkItem> batch, int attempt = 0)
    {
        var token = _stopping.Token;
        try
        {
            var (tx, pipeline) = await _database.BeginBatchAsync(await lane.KeptAsync(token), token);
            await using (tx)
            {
                if (pipeline is not null)
                {
                    foreach (var wave in Waves(batch))
                    {
                        await pipeline.RunAsync(wave.Select(item => (Func<Task>)(() => item.RunAsync(tx, token))));
                    }
                }
                else
                {
                    foreach (var item in batch)
                    {
                        await item.RunAsync(tx, token);
                    }
                }
                await tx.CommitAsync(token);
            }
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _items, batch.Count);
            foreach (var item in batch)
            {
                item.Complete();
            }
        }
        catch (Exception error)
        {
            // A kept connection that saw an error is not trusted with the next batch.
            lane.Dispose();
            if (batch.Count == 1)
            {
                if (attempt < MaxRaceRetries && LedgerDatabase.IsLostRace(error))
                {
                    Interlocked.Increment(ref _raceRetries);
                    await Task.Delay(Random.Shared.Next(5, 20 << attempt));
                    await RunBatchAsync(lane, batch, attempt + 1);
                    return;
                }
                batch[0].Fail(error);
                return;
            }
            // Isolate: whoever failed gets its own exception; the others commit on their own.
            Interlocked.Increment(ref _splitBatches);
            foreach (var item in batch)
            {
                await RunBatchAsync(lane, [item]);
            }
        }
    }

    /// <summary>
    /// Splits a batch into waves that run one after another: an item goes one wave after the
    /// last earlier item it shares a key with, so items about the same thing keep their order and
    /// never interleave, while unrelated items share each round trip.
    /// </summary>
    private static List<List<IWorkItem>> Waves(List<IWorkItem> batch)
    {
        var waves = new List<List<IWorkItem>>();
        var lastWave = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in batch)
        {
            var wave = 0;
            foreach (var key in item.Keys)
            {
                if (lastWave.TryGetValue(key, out var last))
                {
                    wave = Math.Max(wave, last + 1);
                }
            }
            foreach (var key in item.Keys)
            {
                lastWave[key] = wave;
            }
            if (wave == waves.Count)
            {
                waves.Add([]);
            }
            waves[wave].Add(item);
        }
        return waves;
    }

    /// <summary>A writer's connection state: on SQLite the connection it keeps open, opened again after an error.</summary>
    private sealed class Lane(LedgerDatabase database) : IDisposable
    {
        private KeptSqliteConnection? _kept;

        public async Task<KeptSqliteConnection?> KeptAsync(CancellationToken cancellationToken) =>
            _kept ??= await database.KeepConnectionAsync(cancellationToken);

        public void Dispose()
        {
            _kept?.Dispose();
            _kept = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }
        await Task.WhenAll(_writers);
        _stopping.Dispose();
    }

    private interface IWorkItem
    {
        IReadOnlyList<string> Keys { get; }

        Task RunAsync(LedgerTransaction tx, CancellationToken cancellationToken);
        void Complete();
        void Fail(Exception error);
    }

    private sealed class WorkItem<T>(IReadOnlyList<string> keys, Func<LedgerTransaction, CancellationToken, Task<T>> work) : IWorkItem
    {
        public IReadOnlyList<string> Keys => keys;

        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _completion.Task;

        public async Task RunAsync(LedgerTransaction tx, CancellationToken cancellationToken) => _result = await work(tx, cancellationToken);

        public void Complete() => _completion.TrySetResult(_result);

        public void Fail(Exception error) => _completion.TrySetException(error);
    }
}
