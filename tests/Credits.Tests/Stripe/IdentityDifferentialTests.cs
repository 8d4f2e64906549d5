using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Stripe;

/// <summary>
/// The one-statement PostgreSQL grant must apply the account rules exactly as the per-statement
/// path does. SQLite always takes the per-statement path; the same identity scenario on both
/// databases must answer the same and leave the same rows, while PostgreSQL still takes the one
/// statement for the cases nothing disagrees about.
/// </summary>
public sealed class IdentityDifferentialTests(SqliteFixture sqlite, PostgresFixture postgres)
    : IClassFixture<SqliteFixture>, IClassFixture<PostgresFixture>
{
    private static readonly string[] Tables =
    [
        "SELECT id, email, balance, held, created_at, updated_at FROM accounts ORDER BY id",
        "SELECT account_id, amount, kind, source_kind, source_id, reason, created_at FROM ledger_entries ORDER BY source_kind, source_id",
        """
        SELECT session_id, status, account_id, credits, amount_total, currency, payment_intent, customer_id, email, reason, event_id,
               created_at, updated_at, reason_code, candidates
        FROM checkout_payments ORDER BY session_id
        """,
        """
        SELECT id, type, status, user_id, credits_added, object_id, detail, error, attempts, received_at, processed_at
        FROM webhook_events ORDER BY id
        """,
        "SELECT customer_id, account_id, created_at FROM stripe_customers ORDER BY customer_id",
        "SELECT session_id, account_id, pack_id, quantity, credits, created_at FROM checkout_sessions ORDER BY session_id",
    ];

    /// <summary>One step: an account to register, a checkout record of ours, or an event to deliver.</summary>
    private sealed record Step(string? PutUser = null, string? Email = null, (string SessionId, string AccountId, long Credits)? Record = null, string? Event = null);

    [Theory]
    [InlineData("create", 5)]
    [InlineData("park", 3)]
    public async Task The_identity_rules_leave_the_same_rows_with_the_one_statement_grant_and_without(string unknownAccounts, int oneStatementGrants)
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var steps = Scenario();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var (sqliteAnswers, sqliteRows, sqliteMetrics) = await RunAsync(sqlite, steps, at, unknownAccounts);
        var (postgresAnswers, postgresRows, postgresMetrics) = await RunAsync(postgres, steps, at, unknownAccounts);

        Assert.Equal(sqliteAnswers, postgresAnswers);
        Assert.Equal(sqliteRows, postgresRows);
        Assert.Equal(0, PrometheusText.ValueOrZero(sqliteMetrics, "credits_webhook_one_statement_grants_total"));
        Assert.Equal(oneStatementGrants, PrometheusText.Value(postgresMetrics, "credits_webhook_one_statement_grants_total"));
        Assert.Equal(4 + (unknownAccounts == "park" ? 2 : 0), sqliteAnswers.Count(a => a.Contains("\"status\":\"unmatched\"", StringComparison.Ordinal)));
    }

    private static List<Step> Scenario()
    {
        string Id(string prefix) => StripeEvents.NewId(prefix);
        var (ada, known, bob) = (Id("u_ada"), Id("u_known"), Id("u_bob"));
        var adaEmail = $"{ada}@example.com";
        var customer = Id("cus");
        var (recorded, tampered, overpaid) = (Id("cs_test"), Id("cs_test"), Id("cs_test"));
        return
        [
            new(PutUser: ada, Email: adaEmail),
            new(PutUser: known),
            new(PutUser: bob),
            // A stale id with Ada's email: parked, never granted in one statement.
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(userId: Id("u_stale"), credits: 50, email: adaEmail))),
            // A known account: one statement.
            new(Event: StripeEvents.Paid(known, 10)),
            // The customer is linked to known; a session naming bob with that customer is parked.
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(userId: known, credits: 20, customer: customer))),
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(userId: bob, credits: 20, customer: customer))),
            // Our own record agreeing with the metadata: one statement. Disagreeing: parked. Other credits: the record's, per statement.
            new(Record: (recorded, known, 50)),
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(recorded, known, 50))),
            new(Record: (tampered, known, 50)),
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(tampered, bob, 50))),
            new(Record: (overpaid, known, 50)),
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(overpaid, known, 999))),
            // Ids nobody has seen, contradicted by nothing: created (one statement) or parked, by CREDITS_UNKNOWN_ACCOUNTS.
            new(Event: StripeEvents.Paid(Id("u_new"), 5)),
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(userId: Id("u_new"), credits: 6, email: $"{Id("x")}@example.com"))),
            // metadata.user_id and client_reference_id disagree: parked.
            new(Event: StripeEvents.Completed(StripeEvents.CheckoutSession(userId: known, credits: 7, clientReferenceId: bob))),
        ];
    }

    private static async Task<(List<string> Answers, List<string> Rows, string Metrics)> RunAsync(
        DatabaseFixture fixture, List<Step> steps, DateTimeOffset at, string unknownAccounts)
    {
        // Fast paths on whatever test.sh's second pass sets: this test counts the one-statement grants.
        await using var server = await CreditsServer.StartAsync(fixture, s =>
        {
            s["CREDITS_UNKNOWN_ACCOUNTS"] = unknownAccounts;
            s["CREDITS_FAST_PATHS"] = "true";
        });
        server.Time.SetUtcNow(at);
        var answers = new List<string>();
        foreach (var step in steps)
        {
            if (step.PutUser is { } user)
            {
                (await server.PutUserAsync(user, step.Email)).EnsureSuccessStatusCode();
            }
            else if (step.Record is { } record)
            {
                await server.Database.ReadAsync(c => c.ExecuteAsync(
                    "INSERT INTO checkout_sessions (session_id, account_id, pack_id, quantity, credits, created_at) VALUES (@SessionId, @AccountId, 'starter', 1, @Credits, @now)",
                    new { record.SessionId, record.AccountId, record.Credits, now = at.ToUnixTimeMilliseconds() }), TestContext.Current.CancellationToken);
            }
            else
            {
                var response = await server.PostEventAsync(step.Event!);
                answers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            }
        }
        var rows = await server.RowsAsync(Tables);
        return (answers, rows, await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
    }
}
