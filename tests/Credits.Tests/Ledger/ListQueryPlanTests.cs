using Credits.Api;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Stripe;
using Credits.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Credits.Tests.Ledger;

/// <summary>
/// The lists an operator and the sender read want the few rows still waiting for someone, and the
/// partial indexes of schema script 0013 hold only those. On a PostgreSQL database shaped like a
/// busy one (the granted, processed and delivered rows are the vast majority, statistics
/// gathered), each list query's plan must read its index, never scan the whole table.
/// </summary>
public sealed class ListQueryPlanTests(PostgresFixture db) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const int Rows = 100_000;

    public static TheoryData<string> Queries => [.. Plans.Keys];

    /// <summary>Each list query, its parameters, the index its plan must use and the table it must not scan.</summary>
    private static readonly Dictionary<string, (string Sql, object Args, string Index, string Table)> Plans = new()
    {
        ["unmatched queue"] = (CheckoutPayments.ListSql(byEmail: false), new { status = PaymentStatus.Unmatched, limit = 50 }, "checkout_payments_unmatched", "checkout_payments"),
        ["claim by email"] = (CheckoutPayments.ListSql(byEmail: true), new { status = PaymentStatus.Unmatched, email = "buyer7@example.com", limit = 100 },
            "checkout_payments_unmatched_email", "checkout_payments"),
        ["failed events"] = (WebhookEvents.ListSql(byStatus: true, byType: false, after: false), new { status = "failed", limit = 50 }, "webhook_events_failed", "webhook_events"),
        ["failed events, next page"] = (WebhookEvents.ListSql(byStatus: true, byType: false, after: true), new { status = "failed", at = 50_000L, id = "evt_50000", limit = 50 },
            "webhook_events_failed", "webhook_events"),
        ["all events"] = (WebhookEvents.ListSql(byStatus: false, byType: false, after: false), new { limit = 50 }, "webhook_events_received", "webhook_events"),
        ["backlog gauges, unmatched"] = (StatsQueries.BacklogSql, new { }, "checkout_payments_unmatched", "checkout_payments"),
        ["backlog gauges, failed"] = (StatsQueries.BacklogSql, new { }, "webhook_events_failed", "webhook_events"),
        ["deliveries due"] = (Outbox.DueSql, new { now = 2_000_000L, limit = 100 }, "webhook_messages_due", "webhook_messages"),
        ["oldest undelivered message"] = (Outbox.OldestPendingSql, new { }, "webhook_messages_due", "webhook_messages"),
        ["reversals waiting for a purchase"] = (PaymentReversals.PendingSql, new { PaymentIntent = "pi_77" }, "payment_reversals_payment_intent", "payment_reversals"),
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task A_list_query_reads_its_index_not_the_whole_table(string query)
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var (sql, args, index, table) = Plans[query];
        await using var connection = await FilledAsync();

        var plan = string.Join("\n", await connection.QueryAsync<string>(new CommandDefinition("EXPLAIN " + sql, args, cancellationToken: Cancel)));

        Assert.True(plan.Contains(index, StringComparison.Ordinal), $"{query}: the plan does not use {index}:\n{plan}");
        Assert.False(plan.Contains($"Seq Scan on {table}", StringComparison.Ordinal), $"{query}: the plan scans {table}:\n{plan}");
    }

    private static readonly SemaphoreSlim Filling = new(1, 1);
    private static bool _filled;

    /// <summary>
    /// A hundred thousand rows per table, one in a thousand still waiting (parked, failed,
    /// pending, undelivered), then ANALYZE, once for the class.
    /// </summary>
    private async Task<NpgsqlConnection> FilledAsync()
    {
        var connection = new NpgsqlConnection(db.DatabaseUrl);
        await connection.OpenAsync(Cancel);
        await Filling.WaitAsync(Cancel);
        try
        {
            if (!_filled)
            {
                await SchemaMigrator.MigrateAsync(db.Settings(), Cancel);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO checkout_payments (session_id, status, account_id, credits, payment_intent, email, created_at, updated_at)
                    SELECT 'cs_' || i, CASE WHEN i % 1000 = 0 THEN 'unmatched' ELSE 'granted' END, 'u' || (i % 5000), 10, 'pi_' || i,
                           'buyer' || (i % 5000) || '@example.com', i, i
                    FROM generate_series(1, @rows) i;
                    INSERT INTO webhook_events (id, type, payload, status, received_at)
                    SELECT 'evt_' || i, 'checkout.session.completed', '{}', CASE WHEN i % 1000 = 0 THEN 'failed' ELSE 'granted' END, i
                    FROM generate_series(1, @rows) i;
                    INSERT INTO webhook_endpoints (id, url, secret, created_at) VALUES ('we_1', 'https://example.com/hook', 'whsec_x', 1);
                    INSERT INTO webhook_messages (id, endpoint_id, account_id, event_type, payload, status, next_attempt_at, created_at)
                    SELECT 'msg_' || i, 'we_1', 'u' || (i % 5000), 'credits.granted', '{}', CASE WHEN i % 1000 = 0 THEN 'pending' ELSE 'delivered' END, i, i
                    FROM generate_series(1, @rows) i;
                    INSERT INTO payment_reversals (source_kind, source_id, payment_intent, status, event_id, created_at, updated_at)
                    SELECT 'refund', 're_' || i, 'pi_' || i, CASE WHEN i % 1000 = 0 THEN 'pending' ELSE 'applied' END, 'evt_' || i, i, i
                    FROM generate_series(1, @rows / 10) i;
                    ANALYZE;
                    """,
                    new { rows = Rows }, cancellationToken: Cancel));
                _filled = true;
            }
        }
        finally
        {
            Filling.Release();
        }
        return connection;
    }
}
