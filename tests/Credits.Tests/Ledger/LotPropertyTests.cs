using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Reconciliation;
using Credits.Tests.Infrastructure;
using CsCheck;
using Dapper;
using Microsoft.Extensions.Time.Testing;

namespace Credits.Tests.Ledger;

public sealed class SqliteLotPropertyTests(SqliteFixture db) : LotPropertyTests<SqliteFixture>(db);

public sealed class PostgresLotPropertyTests(PostgresFixture db) : LotPropertyTests<PostgresFixture>(db);

/// <summary>
/// Random sequences of grants (paid or promotional, expiring or not), spends, reversals, clock
/// jumps and expiry sweeps, run against the ledger and a small reference model of the lot rules:
/// after every step the balance, the available credits, the debt and every lot's remainder agree
/// with the model, and at the end <c>credits verify</c> holds.
/// </summary>
public abstract class LotPropertyTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    public enum OpKind { Grant, Spend, Reverse, Advance, Sweep }

    public sealed record Op(OpKind Kind, long Credits, bool Paid, int ExpiresIn)
    {
        public override string ToString() => $"{Kind}({Credits}{(Kind == OpKind.Grant ? $", {(Paid ? "paid" : "promo")}, {ExpiresIn}s" : Kind == OpKind.Advance ? $", {ExpiresIn}s" : "")})";
    }

    private static readonly Gen<Op> OpGen = Gen.Select(
        Gen.Frequency((4, Gen.Const(OpKind.Grant)), (5, Gen.Const(OpKind.Spend)), (1, Gen.Const(OpKind.Reverse)), (2, Gen.Const(OpKind.Advance)), (1, Gen.Const(OpKind.Sweep))),
        Gen.Long[1, 40], Gen.Bool, Gen.Int[0, 120],
        (kind, credits, paid, expiresIn) => new Op(kind, credits, paid, expiresIn));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private sealed class ModelLot(int seq, bool paid, long? expiresAt, long remaining)
    {
        public int Seq { get; } = seq;
        public bool Paid { get; } = paid;
        public long? ExpiresAt { get; } = expiresAt;
        public long Remaining { get; set; } = remaining;
        public bool LiveAt(long now) => ExpiresAt is not { } at || at > now;
    }

    [Fact]
    public async Task Lots_agree_with_the_reference_model_after_every_step()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);
        await using var database = new LedgerDatabase(db.Settings());

        await OpGen.Array[1, 30].SampleAsync(async ops =>
        {
            var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
            var ledger = new CreditLedger(database, time);
            await using var groupCommit = new GroupCommit(database, lanes: 1, maxBatch: 16);
            var spending = new Spending(ledger, groupCommit);
            var expiry = new LotExpiry(ledger);
            var accountId = StripeEvents.NewId("lp");
            await using (var tx = await database.BeginAsync(Cancel))
            {
                await ledger.UpsertAccountAsync(tx, accountId, null, Cancel);
                await tx.CommitAsync(Cancel);
            }
            var lots = new List<ModelLot>();
            long debt = 0;
            foreach (var op in ops)
            {
                var now = ledger.Now();
                var order = lots.Where(l => l.Remaining > 0 && l.LiveAt(now))
                    .OrderBy(l => l.ExpiresAt is null ? 1 : 0).ThenBy(l => l.ExpiresAt ?? 0).ThenBy(l => l.Paid ? 1 : 0).ThenBy(l => l.Seq).ToList();
                switch (op.Kind)
                {
                    case OpKind.Grant:
                        long? at = op.ExpiresIn == 0 ? null : now + op.ExpiresIn * 1000L;
                        var grant = await spending.GrantAsync(accountId, Guid.NewGuid().ToString(), op.Credits, "model",
                            new LotTerms(op.Paid ? Lots.Paid : Lots.Promotional, at), Cancel);
                        Assert.Equal(MovementOutcome.Done, grant.Status);
                        var paidDebt = Math.Min(debt, op.Credits);
                        debt -= paidDebt;
                        lots.Add(new ModelLot(lots.Count, op.Paid, at, op.Credits - paidDebt));
                        break;
                    case OpKind.Spend:
                        var available = order.Sum(l => l.Remaining) - debt;
                        var spend = await spending.SpendAsync(accountId, Guid.NewGuid().ToString(), op.Credits, null, Cancel);
                        Assert.Equal(available >= op.Credits ? MovementOutcome.Done : MovementOutcome.Insufficient, spend.Status);
                        if (spend.Status == MovementOutcome.Done)
                        {
                            Take(order, op.Credits);
                        }
                        break;
                    case OpKind.Reverse:
                        await using (var tx = await database.BeginAsync(Cancel))
                        {
                            await ledger.PostAsync(tx, new Posting(accountId, -op.Credits, "refund", "refund", StripeEvents.NewId("re")), Cancel);
                            await tx.CommitAsync(Cancel);
                        }
                        debt += op.Credits - Take(order, Math.Min(op.Credits, order.Sum(l => l.Remaining)));
                        break;
                    case OpKind.Advance:
                        time.Advance(TimeSpan.FromSeconds(op.ExpiresIn + 1));
                        break;
                    case OpKind.Sweep:
                        await expiry.SweepAsync(100, Cancel);
                        foreach (var lot in lots.Where(l => !l.LiveAt(now)))
                        {
                            lot.Remaining = 0;
                        }
                        break;
                }
                var account = (await ledger.GetAccountAsync(accountId, Cancel))!;
                var at2 = ledger.Now();
                Assert.Equal(
                    (lots.Sum(l => l.Remaining) - debt, lots.Where(l => l.LiveAt(at2)).Sum(l => l.Remaining) - debt, debt),
                    (account.Balance, account.Available, account.Debt));
                var stored = (await database.ReadAsync(c => c.QueryAsync<long>(
                    "SELECT remaining FROM credit_lots WHERE account_id = @accountId ORDER BY id", new { accountId }), Cancel)).ToList();
                Assert.Equal(lots.Select(l => l.Remaining), stored);
            }
            await expiry.SweepAsync(100, Cancel);
            Assert.All(await new LedgerVerifier(database, time).RunAsync(Cancel), r => Assert.True(r.Holds, $"{r.Check.Name}: {string.Join("; ", r.Problems)}"));
        }, iter: 25, threads: 1, print: ops => string.Join(", ", ops));
    }

    /// <summary>Takes up to <paramref name="credits"/> from the lots in the given order; returns what was taken.</summary>
    private static long Take(List<ModelLot> order, long credits)
    {
        var left = credits;
        foreach (var lot in order)
        {
            var take = Math.Min(left, lot.Remaining);
            lot.Remaining -= take;
            left -= take;
        }
        return credits - left;
    }
}
