using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Credits.Tests.Stripe;

/// <summary>
/// Why the payment intent's advisory lock answers "is a reversal waiting?" itself (schema script
/// 0013_payment_intent_lock): a refund commits while a grant waits for the lock. The answer the
/// function gives after the wait sees the refund; the same question asked by the waiting statement
/// itself reads that statement's older snapshot and does not.
/// </summary>
public sealed class PaymentIntentLockTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_refund_committed_while_the_grant_waits_for_the_lock_is_seen_by_the_lock_and_not_by_the_statement_snapshot()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);
        var paymentIntent = StripeEvents.NewId("pi");
        await using var refund = await OpenAsync();
        await using var grant = await OpenAsync();
        await using var refundTx = await refund.BeginTransactionAsync(Cancel);
        Assert.False(await refund.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT credits_lock_payment_intent(@paymentIntent)", new { paymentIntent }, refundTx, cancellationToken: Cancel)));
        await refund.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO payment_reversals (source_kind, source_id, payment_intent, status, event_id, created_at, updated_at)
            VALUES ('refund', @refundId, @paymentIntent, 'pending', @eventId, 1, 1)
            """,
            new { paymentIntent, refundId = StripeEvents.NewId("re"), eventId = StripeEvents.NewId("evt") }, refundTx, cancellationToken: Cancel));

        await using var grantTx = await grant.BeginTransactionAsync(Cancel);
        var waiting = grant.QuerySingleAsync<(bool Locked, bool Snapshot)>(new CommandDefinition(
            """
            SELECT credits_lock_payment_intent(@paymentIntent) AS locked,
                   (SELECT EXISTS (SELECT 1 FROM payment_reversals WHERE payment_intent = @paymentIntent AND status = 'pending')) AS snapshot
            """,
            new { paymentIntent }, grantTx, cancellationToken: Cancel));
        await WaitUntilBlockedAsync(refund, grant.ProcessID);
        Assert.False(waiting.IsCompleted, "the grant did not wait for the refund's lock");
        await refundTx.CommitAsync(Cancel);

        var (locked, snapshot) = await waiting;
        Assert.True(locked, "the lock's own probe missed a refund committed before the lock was granted");
        Assert.False(snapshot, "the statement's snapshot saw the refund: the test no longer shows why the probe is inside the function");
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.DatabaseUrl) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Cancel);
        return connection;
    }

    private static async Task WaitUntilBlockedAsync(NpgsqlConnection observer, int pid)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await observer.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = @pid AND locktype = 'advisory' AND NOT granted)",
                    new { pid }, cancellationToken: Cancel)))
            {
                return;
            }
            await Task.Delay(10, Cancel);
        }
        throw new TimeoutException($"backend {pid} never waited for the advisory lock");
    }
}
