using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Credits.Tests.Reliability;

[Collection(RealServerCollection.Name)]
public sealed class SqliteShutdownTests(SqliteFixture db) : ShutdownTests<SqliteFixture>(db);

[Collection(RealServerCollection.Name)]
public sealed class PostgresShutdownTests(PostgresFixture db) : ShutdownTests<PostgresFixture>(db);

/// <summary>
/// SIGTERM, as every deploy sends it, to the real server under a load of webhooks and spends. The
/// database's writes are held back for longer than System.CommandLine's 2 s termination default
/// when the signal arrives, so requests are still waiting on their commit: they must be answered
/// once it happens, new connections must be refused meanwhile, and the process must exit 0
/// within CREDITS_SHUTDOWN_SECONDS. Then every 2xx is in the ledger and every request without an
/// answer is absent from it.
/// </summary>
public abstract class ShutdownTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private const int ShutdownSeconds = 12;
    private static readonly TimeSpan HeldBack = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SIGTERM_under_load_answers_each_in_flight_request_after_its_commit_and_exits_0()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = db.DataDirectory,
            ["CREDITS_SHUTDOWN_SECONDS"] = ShutdownSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CREDITS_DB_TIMEOUT_SECONDS"] = "30",
        });
        var spender = StripeEvents.NewId("u_term");
        using (var funded = await server.PostEventAsync(StripeEvents.Paid(spender, 1_000_000), TestContext.Current.CancellationToken))
        {
            Assert.True(funded.IsSuccessStatusCode, server.Output);
        }

        var outcomes = new ConcurrentBag<Outcome>();
        var clock = Stopwatch.StartNew();
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var outcome = await SendAsync(server, spender, w, i, clock);
                outcomes.Add(outcome);
                if (outcome.Answer == Answer.None)
                {
                    if (server.HasExited)
                    {
                        return;
                    }
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        })).ToArray();

        while (outcomes.Count(o => o.Answer == Answer.Success) < 40)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        TimeSpan signalAt, releasedAt;
        bool refusedDuringDrain;
        int? exitCode;
        await using (var blocker = await BlockWritesAsync())
        {
            await Task.Delay(300, TestContext.Current.CancellationToken); // requests now wait on the blocked writes
            signalAt = clock.Elapsed;
            var terminating = server.TerminateAsync(TimeSpan.FromSeconds(ShutdownSeconds));
            await Task.Delay(HeldBack, TestContext.Current.CancellationToken);
            refusedDuringDrain = await RefusesNewConnectionsAsync(server.BaseAddress);
            Assert.False(server.HasExited, $"the server exited before its in-flight requests could commit:\n{server.Output}");
            releasedAt = clock.Elapsed;
            await blocker.DisposeAsync();
            exitCode = await terminating;
        }
        var stoppedAfter = clock.Elapsed - signalAt;
        await Task.WhenAll(workers);

        Assert.True(exitCode == 0, $"exit code {exitCode?.ToString() ?? "(still running)"} after SIGTERM:\n{server.Output}");
        Assert.True(stoppedAfter < TimeSpan.FromSeconds(ShutdownSeconds), $"stopped {stoppedAfter.TotalSeconds:F1} s after SIGTERM");
        Assert.True(refusedDuringDrain, "a new connection was accepted after SIGTERM");
        var all = outcomes.ToArray();
        Assert.DoesNotContain(all, o => o.Answer == Answer.Failure);
        var drained = all.Count(o => o.Answer == Answer.Success && o.Sent < signalAt && o.Answered > releasedAt);
        Assert.True(drained > 0, $"no request sent before SIGTERM was answered after the writes resumed ({all.Length} requests)");
        Assert.Contains(all, o => o.Answer == Answer.None);

        await using var checks = new LedgerChecks(db.Settings());
        var events = await checks.StoredEventIdsAsync();
        var reasons = (await checks.QueryAsync<string>("SELECT reason FROM ledger_entries WHERE account_id = @spender AND amount < 0", new { spender }))
            .ToHashSet(StringComparer.Ordinal);
        Assert.All(all, o =>
        {
            var stored = o.IsSpend ? reasons.Contains(o.Token) : events.Contains(o.Token);
            Assert.True(stored == (o.Answer == Answer.Success), $"{o.Token}: answer {o.Answer}, in the ledger: {stored}");
        });
        await checks.AssertBalancesEqualLedgerAsync();
    }

    [Fact]
    public async Task Requests_still_waiting_when_CREDITS_SHUTDOWN_SECONDS_run_out_are_cut_off_unanswered_and_not_applied()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = db.DatabaseUrl,
            ["CREDITS_DATA_DIR"] = db.DataDirectory,
            ["CREDITS_SHUTDOWN_SECONDS"] = "2",
            ["CREDITS_DB_TIMEOUT_SECONDS"] = "30",
        });
        var spender = StripeEvents.NewId("u_cut");
        using (var funded = await server.PostEventAsync(StripeEvents.Paid(spender, 100), TestContext.Current.CancellationToken))
        {
            Assert.True(funded.IsSuccessStatusCode, server.Output);
        }
        var clock = Stopwatch.StartNew();
        Outcome[] outcomes;
        TimeSpan stoppedAfter;
        int? exitCode;
        await using (var blocker = await BlockWritesAsync())
        {
            var waiting = Enumerable.Range(0, 8).Select(i => SendAsync(server, spender, 99, 2 * i + 1, clock)).ToArray();
            await Task.Delay(500, TestContext.Current.CancellationToken);
            var signalAt = clock.Elapsed;
            exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(10));
            stoppedAfter = clock.Elapsed - signalAt;
            outcomes = await Task.WhenAll(waiting);
        }

        Assert.True(exitCode == 0, $"exit code {exitCode?.ToString() ?? "(still running)"} after SIGTERM:\n{server.Output}");
        Assert.InRange(stoppedAfter, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
        Assert.All(outcomes, o => Assert.Equal(Answer.None, o.Answer));
        await using var checks = new LedgerChecks(db.Settings());
        Assert.Equal(100, (await checks.BalancesAsync())[spender]);
        Assert.Equal(0, await checks.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @spender AND amount < 0", new { spender }));
    }

    private static async Task<Outcome> SendAsync(ServerProcess server, string spender, int worker, int i, Stopwatch clock)
    {
        var isSpend = i % 2 == 1;
        var token = isSpend ? $"term-spend-{worker}-{i}" : $"evt_term_{worker}_{i}_{Guid.NewGuid():N}";
        var sent = clock.Elapsed;
        try
        {
            HttpResponseMessage response;
            if (isSpend)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{spender}/spend")
                {
                    Content = new StringContent(JsonSerializer.Serialize(new { credits = 1, reason = token }), Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", token);
                response = await server.Client.SendAsync(request, CancellationToken.None);
            }
            else
            {
                response = await server.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u_term"), 5, eventId: token), CancellationToken.None);
            }
            using (response)
            {
                return new Outcome(token, isSpend, response.IsSuccessStatusCode ? Answer.Success : Answer.Failure, sent, clock.Elapsed);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new Outcome(token, isSpend, Answer.None, sent, clock.Elapsed);
        }
    }

    private static async Task<bool> RefusesNewConnectionsAsync(Uri address)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Holds every ledger write back until disposed: an exclusive lock from a connection of the test's own.</summary>
    private async Task<IAsyncDisposable> BlockWritesAsync()
    {
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            var sqlite = new SqliteConnection(db.Settings().ConnectionString + ";Pooling=False");
            await sqlite.OpenAsync(TestContext.Current.CancellationToken);
            await sqlite.ExecuteAsync("BEGIN EXCLUSIVE");
            return sqlite;
        }
        var postgres = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.DatabaseUrl) { Pooling = false }.ConnectionString);
        await postgres.OpenAsync(TestContext.Current.CancellationToken);
        await postgres.ExecuteAsync("BEGIN; LOCK TABLE ledger_entries IN EXCLUSIVE MODE;");
        return postgres;
    }

    private enum Answer { Success, Failure, None }

    private sealed record Outcome(string Token, bool IsSpend, Answer Answer, TimeSpan Sent, TimeSpan Answered);
}
