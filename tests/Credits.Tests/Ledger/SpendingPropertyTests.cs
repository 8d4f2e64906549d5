using System.Collections.Concurrent;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Credits.Tests.Ledger;

public sealed class SqliteSpendingPropertyTests(SqliteFixture db) : SpendingPropertyTests<SqliteFixture>(db);

public sealed class PostgresSpendingPropertyTests(PostgresFixture db) : SpendingPropertyTests<PostgresFixture>(db);

/// <summary>
/// Random interleavings of grants, spends, retries, holds, captures, releases, reversals and the
/// clock moving on: balance always equals the ledger sum, held equals the active holds, and a
/// spend or capture succeeds exactly when the model says enough was available (never overdraws).
/// </summary>
public abstract class SpendingPropertyTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    public enum OpKind { Grant, Spend, RetrySpend, Hold, Capture, Release, Reverse, Advance }

    public sealed record Op(OpKind Kind, long Credits, int Pick, int Seconds)
    {
        public override string ToString() => $"{Kind}({Credits}, pick {Pick}, {Seconds}s)";
    }

    private static readonly Gen<Op> OpGen = Gen.Select(
        Gen.Frequency(
            (3, Gen.Const(OpKind.Grant)), (5, Gen.Const(OpKind.Spend)), (1, Gen.Const(OpKind.RetrySpend)), (3, Gen.Const(OpKind.Hold)),
            (3, Gen.Const(OpKind.Capture)), (2, Gen.Const(OpKind.Release)), (1, Gen.Const(OpKind.Reverse)), (2, Gen.Const(OpKind.Advance))),
        Gen.Long[1, 40], Gen.Int[0, 7], Gen.Int[1, 90],
        (kind, credits, pick, seconds) => new Op(kind, credits, pick, seconds));

    protected TFixture Db { get; } = db;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Captures and releases run both ways: a new Idempotency-Key behaves exactly as none.</summary>
    private static string? FreshKeyOrNone(long seed) => seed % 2 == 0 ? null : Guid.NewGuid().ToString();

    [Fact]
    public async Task Any_sequence_keeps_balance_equal_to_the_ledger_and_never_overdraws()
    {
        await using var database = await OpenAsync();

        await OpGen.Array[1, 25].SampleAsync(async ops =>
        {
            var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
            var ledger = new CreditLedger(database, time);
            var model = new SpendingModel(await NewAccountAsync(ledger));
            foreach (var op in ops)
            {
                await ApplyAsync(op, model, ledger, time);
                var account = (await ledger.GetAccountAsync(model.AccountId, Cancel))!;
                var now = ledger.Now();
                Assert.Equal((model.Balance, model.Held(now)), (account.Balance, account.Held));
            }
            await AssertInvariantsAsync(database, model.AccountId);
        }, iter: 20, threads: 1, print: ops => string.Join(", ", ops));
    }

    [Fact]
    public async Task Concurrent_interleavings_never_overdraw_and_keep_the_ledger_whole()
    {
        await using var database = await OpenAsync();

        await OpGen.Array[4, 40].SampleAsync(async ops =>
        {
            var ledger = new CreditLedger(database, TimeProvider.System);
            await using var groupCommit = new GroupCommit(database, lanes: 2, maxBatch: 16);
            var spending = new Spending(ledger, groupCommit);
            var holds = new Holds(ledger);
            var accountId = await NewAccountAsync(ledger);
            var placed = new ConcurrentQueue<string>();
            long granted = 0, reversed = 0, spent = 0;
            var lanes = Enumerable.Range(0, 4).Select(lane => Task.Run(async () =>
            {
                foreach (var op in ops.Where((_, i) => i % 4 == lane))
                {
                    switch (op.Kind)
                    {
                        case OpKind.Grant:
                            await spending.GrantAsync(accountId, Guid.NewGuid().ToString(), op.Credits, "property", LotTerms.Promotion, Cancel);
                            Interlocked.Add(ref granted, op.Credits);
                            break;
                        case OpKind.Spend or OpKind.RetrySpend:
                            var spend = await spending.SpendAsync(accountId, Guid.NewGuid().ToString(), op.Credits, null, Cancel);
                            if (spend.Status == MovementOutcome.Done)
                            {
                                Interlocked.Add(ref spent, op.Credits);
                            }
                            break;
                        case OpKind.Hold:
                            if ((await holds.PlaceAsync(accountId, Guid.NewGuid().ToString(), op.Credits, TimeSpan.FromMinutes(5), Cancel)).Hold is { } hold)
                            {
                                placed.Enqueue(hold.Id);
                            }
                            break;
                        case OpKind.Capture or OpKind.Release when placed.ToArray() is { Length: > 0 } ids:
                            var holdId = ids[op.Pick % ids.Length];
                            var settled = op.Kind == OpKind.Capture
                                ? await holds.CaptureAsync(holdId, Math.Min(op.Credits, 5), FreshKeyOrNone(op.Credits), Cancel)
                                : await holds.ReleaseAsync(holdId, FreshKeyOrNone(op.Credits), Cancel);
                            if (settled.Outcome == HoldOutcome.Captured)
                            {
                                Interlocked.Add(ref spent, settled.Hold!.Captured);
                            }
                            break;
                        case OpKind.Reverse:
                            await ReverseAsync(ledger, accountId, op.Credits);
                            Interlocked.Add(ref reversed, op.Credits);
                            break;
                    }
                }
            }, Cancel)).ToList();
            await Task.WhenAll(lanes);

            var account = (await ledger.GetAccountAsync(accountId, Cancel))!;
            Assert.Equal(granted - reversed - spent, account.Balance);
            if (reversed == 0)
            {
                Assert.True(account.Available >= 0, $"overdrawn: balance {account.Balance}, held {account.Held}");
            }
            await AssertInvariantsAsync(database, accountId);
        }, iter: 10, threads: 1, print: ops => string.Join(", ", ops));
    }

    private async Task<LedgerDatabase> OpenAsync()
    {
        Assert.SkipWhen(Db.SkipReason is not null, Db.SkipReason ?? "");
        await SchemaMigrator.MigrateAsync(Db.Settings(), Cancel);
        return new LedgerDatabase(Db.Settings());
    }

    private static async Task<string> NewAccountAsync(CreditLedger ledger)
    {
        var accountId = StripeEvents.NewId("u");
        await using var tx = await ledger.Database.BeginAsync(Cancel);
        await ledger.UpsertAccountAsync(tx, accountId, null, Cancel);
        await tx.CommitAsync(Cancel);
        return accountId;
    }

    /// <summary>A refund or dispute as the webhook posts it: a negative entry that may take the balance below zero.</summary>
    private static async Task ReverseAsync(CreditLedger ledger, string accountId, long credits)
    {
        await using var tx = await ledger.Database.BeginAsync(Cancel);
        await ledger.PostAsync(tx, new Posting(accountId, -credits, "reversal", "refund", StripeEvents.NewId("re")), Cancel);
        await tx.CommitAsync(Cancel);
    }

    private static async Task ApplyAsync(Op op, SpendingModel model, CreditLedger ledger, FakeTimeProvider time)
    {
        await using var groupCommit = new GroupCommit(ledger.Database, lanes: 1, maxBatch: 16);
        var spending = new Spending(ledger, groupCommit);
        var holds = new Holds(ledger);
        var now = ledger.Now();
        var available = model.Available(now);
        var hold = model.Holds.Count == 0 ? null : model.Holds[op.Pick % model.Holds.Count];
        switch (op.Kind)
        {
            case OpKind.Grant:
                Assert.Equal(MovementOutcome.Done, (await spending.GrantAsync(model.AccountId, Guid.NewGuid().ToString(), op.Credits, "property", LotTerms.Promotion, Cancel)).Status);
                model.Balance += op.Credits;
                break;
            case OpKind.Spend:
                var key = Guid.NewGuid().ToString();
                var spend = await spending.SpendAsync(model.AccountId, key, op.Credits, null, Cancel);
                Assert.Equal(available >= op.Credits ? MovementOutcome.Done : MovementOutcome.Insufficient, spend.Status);
                if (spend.Status == MovementOutcome.Done)
                {
                    model.Balance -= op.Credits;
                    model.LastSpend = (key, op.Credits);
                    Assert.True(spend.Movement!.Balance - spend.Movement.Held >= 0);
                }
                break;
            case OpKind.RetrySpend when model.LastSpend is var (lastKey, lastCredits):
                Assert.Equal(MovementOutcome.Replayed, (await spending.SpendAsync(model.AccountId, lastKey, lastCredits, null, Cancel)).Status);
                break;
            case OpKind.Hold:
                var placed = await holds.PlaceAsync(model.AccountId, Guid.NewGuid().ToString(), op.Credits, TimeSpan.FromSeconds(op.Seconds), Cancel);
                Assert.Equal(available >= op.Credits ? HoldOutcome.Placed : HoldOutcome.Insufficient, placed.Outcome);
                if (placed.Hold is { } created)
                {
                    model.Holds.Add(new ModelHold(created.Id, created.Credits, created.ExpiresAt));
                }
                break;
            case OpKind.Capture when hold is not null:
                var amount = Math.Min(op.Credits, hold.Credits);
                var expected = hold.StatusAt(now) switch
                {
                    "active" => available + hold.Credits >= amount ? HoldOutcome.Captured : HoldOutcome.Insufficient,
                    "captured" when hold.Captured == amount => HoldOutcome.Unchanged,
                    _ => HoldOutcome.Settled,
                };
                Assert.Equal(expected, (await holds.CaptureAsync(hold.Id, amount, FreshKeyOrNone(op.Credits), Cancel)).Outcome);
                if (expected == HoldOutcome.Captured)
                {
                    (hold.Status, hold.Captured) = ("captured", amount);
                    model.Balance -= amount;
                }
                break;
            case OpKind.Release when hold is not null:
                var status = hold.StatusAt(now);
                Assert.Equal(status switch
                {
                    "active" => HoldOutcome.Released,
                    "captured" => HoldOutcome.Settled,
                    _ => HoldOutcome.Unchanged,
                }, (await holds.ReleaseAsync(hold.Id, FreshKeyOrNone(op.Credits), Cancel)).Outcome);
                if (status == "active")
                {
                    hold.Status = "released";
                }
                break;
            case OpKind.Reverse:
                await ReverseAsync(ledger, model.AccountId, op.Credits);
                model.Balance -= op.Credits;
                break;
            case OpKind.Advance:
                time.Advance(TimeSpan.FromSeconds(op.Seconds));
                break;
        }
    }

    private static async Task AssertInvariantsAsync(LedgerDatabase database, string accountId)
    {
        var (balance, held, sum, active) = await database.ReadAsync(c => Dapper.SqlMapper.QuerySingleAsync<(long, long, long, long)>(c,
            """
            SELECT balance, held,
                   CAST((SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE account_id = @accountId) AS bigint),
                   CAST((SELECT COALESCE(SUM(credits), 0) FROM holds WHERE account_id = @accountId AND status = 'active') AS bigint)
            FROM accounts WHERE id = @accountId
            """, new { accountId }), Cancel);
        Assert.Equal(sum, balance);
        Assert.Equal(active, held);
    }
}
