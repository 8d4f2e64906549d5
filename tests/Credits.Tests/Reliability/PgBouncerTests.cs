using System.Collections.Concurrent;
using System.Net;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Npgsql;

namespace Credits.Tests.Reliability;

/// <summary>
/// The server behind a real PgBouncer in pool_mode=transaction (Debian 12's 1.18, which keeps no
/// prepared statements across server connections), in pooler-safe mode (<c>pgbouncer=true</c>):
/// webhooks, spends, holds and a duplicate storm over two instances give the same outcomes as on
/// a direct connection. Without the mode, Npgsql's automatic preparation breaks as soon as
/// PgBouncer lends a client another server connection.
/// </summary>
public sealed class PgBouncerTests(PgBouncerFixture db) : IClassFixture<PgBouncerFixture>
{
    [Fact]
    public async Task Without_pooler_mode_an_auto_prepared_statement_is_missing_on_the_next_server_connection()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var error = await PrepareThenChangeServerConnectionAsync(DatabaseSettings.Postgres(db.BouncerUrl("")));

        // PgBouncer's server connections outlive their clients, and so do the statements prepared on
        // them: the next server connection lacks this client's statement (26000: prepared statement
        // "_auto0" does not exist), or holds a leftover "_auto0" from an earlier test's server
        // (42P05: already exists, on Parse; 08P01: bind message supplies 1 parameters, but prepared
        // statement "_auto0" requires 0). Each is the failure pooler mode exists to avoid.
        var postgres = Assert.IsType<PostgresException>(error);
        Assert.Contains(postgres.SqlState, new[] { PostgresErrorCodes.InvalidSqlStatementName, PostgresErrorCodes.DuplicatePreparedStatement, PostgresErrorCodes.ProtocolViolation });
        Assert.Contains("_auto", postgres.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_pooler_mode_the_same_sequence_succeeds()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var settings = DatabaseSettings.Postgres(db.BouncerUrl());

        Assert.True(settings.Pooler);
        Assert.Null(await PrepareThenChangeServerConnectionAsync(settings));
    }

    [Fact]
    public async Task Without_pooler_mode_the_same_spends_fail_behind_PgBouncer_and_what_succeeded_is_consistent()
    {
        await using var server = await CreditsServer.StartAsync(db, s => s["DATABASE_URL"] = db.BouncerUrl(""));
        var user = await server.UserWithAsync(1000);

        // Other clients of the same PgBouncer take its server connections in short transactions, as
        // other instances would: the server's next transaction lands on another server connection.
        using var stopChurn = new CancellationTokenSource();
        var churn = ChurnAsync(db.BouncerUrl(), stopChurn.Token);
        var failures = new ConcurrentBag<string>();
        var charged = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200).Select(i => $"unpooled-{i}"), new ParallelOptions { MaxDegreeOfParallelism = 24 },
            async (key, cancellationToken) =>
            {
                using var response = await server.SpendAsync(user, 1, key, reason: key);
                if (response.IsSuccessStatusCode)
                {
                    charged.Add(key);
                }
                else
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            });

        await stopChurn.CancelAsync();
        await churn;
        // 26000 "prepared statement _autoN does not exist" on PgBouncer's next server connection: a 503, nothing applied.
        Assert.NotEmpty(failures);
        Assert.All(failures, f => Assert.StartsWith("503 ", f, StringComparison.Ordinal));
        await using var checks = new LedgerChecks(db.DirectSettings());
        var stored = await checks.QueryAsync<string>("SELECT reason FROM ledger_entries WHERE account_id = @user AND amount = -1", new { user });
        Assert.Equal(charged.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        await checks.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Webhooks_grant_once_through_the_pooler()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("u_bouncer");
        var sessionId = StripeEvents.NewId("cs_bouncer");

        var first = await server.DeliverAsync(StripeEvents.Paid(user, 120, sessionId));
        var again = await server.DeliverAsync(StripeEvents.Paid(user, 120, sessionId));

        Assert.Equal("granted", first.GetProperty("status").GetString());
        Assert.NotEqual("granted", again.GetProperty("status").GetString());
        await using var checks = new LedgerChecks(db.DirectSettings());
        Assert.Equal(1, (await checks.PurchaseRowsPerSessionAsync())[sessionId]);
        Assert.Equal(120, (await checks.BalancesAsync())[user]);
    }

    [Fact]
    public async Task Concurrent_and_repeated_spends_charge_each_key_once_through_the_pooler()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);
        var keys = Enumerable.Range(0, 30).Select(i => $"bouncer-spend-{i}").ToArray();

        // Each key three times, all at once: more clients than PgBouncer has server connections,
        // and other clients taking them in between, as in the test without pooler mode.
        using var stopChurn = new CancellationTokenSource();
        var churn = ChurnAsync(db.BouncerUrl(), stopChurn.Token);
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(keys.SelectMany(k => new[] { k, k, k }), new ParallelOptions { MaxDegreeOfParallelism = 24 },
            async (key, _) =>
            {
                using var response = await server.SpendAsync(user, 3, key);
                statuses.Add(response.StatusCode);
            });

        await stopChurn.CancelAsync();
        await churn;
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(10, await server.BalanceAsync(user));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 11, "bouncer-too-much"));
        await using var checks = new LedgerChecks(db.DirectSettings());
        Assert.Equal(30, await checks.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @user AND amount = -3", new { user }));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Holds_capture_and_release_through_the_pooler()
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(100);

        var captured = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 40, ttlSeconds: 300));
        var released = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 30, ttlSeconds: 300));
        await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(captured.GetProperty("id").GetString()!, 25));
        await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(released.GetProperty("id").GetString()!));

        var account = await server.UserAsync(user);
        Assert.Equal((75L, 0L), (account.GetProperty("balance").GetInt64(), account.GetProperty("held").GetInt64()));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Two_instances_under_a_duplicate_storm_grant_every_session_once_through_the_pooler()
    {
        await using var first = await CreditsServer.StartAsync(db);
        await using var second = await CreditsServer.StartAsync(db);
        var servers = new[] { first, second };
        var random = new Random(16);
        var users = Enumerable.Range(0, 7).Select(_ => StripeEvents.NewId("u_bstorm")).ToArray();
        var expected = users.ToDictionary(u => u, _ => 0L, StringComparer.Ordinal);
        var deliveries = new List<string>();
        var sessions = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var user = users[i % users.Length];
            var credits = 1 + random.Next(100);
            expected[user] += credits;
            var session = StripeEvents.CheckoutSession(userId: user, credits: credits);
            sessions.Add(session["id"]!.GetValue<string>());
            var completed = StripeEvents.Completed(session);
            deliveries.AddRange(Enumerable.Repeat(completed, 3));
        }
        var shuffled = deliveries.ToArray();
        random.Shuffle(shuffled);

        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(shuffled.Select((json, i) => (json, server: servers[i % 2])), new ParallelOptions { MaxDegreeOfParallelism = 24 },
            async (item, cancellationToken) =>
            {
                using var response = await item.server.PostEventAsync(item.json);
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            });

        Assert.True(failures.IsEmpty, $"{failures.Count} deliveries failed, e.g. {failures.FirstOrDefault()}");
        await using var checks = new LedgerChecks(db.DirectSettings());
        var rows = await checks.PurchaseRowsPerSessionAsync();
        Assert.All(sessions, s => Assert.Equal(1, rows.GetValueOrDefault(s)));
        var balances = await checks.BalancesAsync();
        Assert.All(users, u => Assert.Equal(expected[u], balances[u]));
        await checks.AssertBalancesEqualLedgerAsync();
    }

    /// <summary>
    /// Connection A runs one statement until Npgsql prepares it (on the server connection PgBouncer
    /// lent A); B then holds that server connection in a transaction (PgBouncer lends the most
    /// recently used one), so A's next statements run on another server connection.
    /// </summary>
    private static async Task<Exception?> PrepareThenChangeServerConnectionAsync(DatabaseSettings settings)
    {
        await using var source = NpgsqlDataSource.Create(settings.ConnectionString);
        await using var a = await source.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var b = await source.OpenConnectionAsync(TestContext.Current.CancellationToken);
        try
        {
            for (var i = 0; i < 10; i++)
            {
                await CountAsync(a, null);
            }
            await using var pinned = await b.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await CountAsync(b, pinned);
            for (var i = 0; i < 10; i++)
            {
                await CountAsync(a, null);
            }
            return null;
        }
        catch (PostgresException e)
        {
            return e;
        }
    }

    private static async Task ChurnAsync(string url, CancellationToken stop)
    {
        await using var source = NpgsqlDataSource.Create(DatabaseSettings.Postgres(url).ConnectionString);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var connection = await source.OpenConnectionAsync(CancellationToken.None);
                await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
                await using var command = new NpgsqlCommand("SELECT pg_sleep(0.005)", connection, transaction);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
                await transaction.CommitAsync(CancellationToken.None);
            }
        }));
    }

    private static async Task CountAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = "pg_class" });
        Assert.Equal(1L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
