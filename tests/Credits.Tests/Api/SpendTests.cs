using System.Net;
using System.Text;
using Credits.Ledger;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteSpendTests(SqliteFixture db) : SpendTests<SqliteFixture>(db);

public sealed class PostgresSpendTests(PostgresFixture db) : SpendTests<PostgresFixture>(db);

/// <summary>POST /api/users/{id}/spend and /grants: idempotent, never overdrawn, on both databases.</summary>
public abstract class SpendTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    protected TFixture Db { get; } = db;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Spend_takes_the_credits_and_writes_a_ledger_entry()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);

        var body = await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 30, "match-1", "resume match 1"));

        Assert.Equal(70, body.GetProperty("balance").GetInt64());
        Assert.Equal(70, body.GetProperty("available").GetInt64());
        Assert.Equal(30, body.GetProperty("credits").GetInt64());
        Assert.Equal("match-1", body.GetProperty("idempotency_key").GetString());
        Assert.Equal(70, await server.BalanceAsync(user));
        var entries = await server.EntriesAsync(user);
        var spend = entries[0];
        Assert.Equal(-30, spend.Amount);
        Assert.Equal("spend", spend.SourceKind);
        Assert.Equal($"{user}:match-1", spend.SourceId);
        Assert.Equal("resume match 1", spend.Reason);
        Assert.Equal(spend.Id, body.GetProperty("entry_id").GetInt64());
        Assert.Equal("grant", entries[1].Kind);
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Two_hundred_concurrent_spends_of_one_against_fifty_succeed_exactly_fifty_times()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(50);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            // As a client should: a 503 (database too slow under this load) is retried with the same key.
            for (var attempt = 1; ; attempt++)
            {
                using var response = await server.SpendAsync(user, 1, $"spend-{i}");
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 5)
                {
                    return response.StatusCode;
                }
            }
        }, Cancel)));

        var summary = string.Join(", ", statuses.CountBy(s => (int)s).Select(c => $"{c.Key}: {c.Value}"));
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) == 50, summary);
        Assert.True(statuses.Count(s => s == HttpStatusCode.PaymentRequired) == 150, summary);
        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal(50, (await server.EntriesAsync(user)).Count(e => e.Kind == Spending.SpendKind));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Concurrent_spends_with_one_key_charge_once_and_all_get_the_same_answer()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);

        var bodies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(
            () => server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 10, "one-key")), Cancel)));

        Assert.Single(bodies.Select(b => b.GetProperty("entry_id").GetInt64()).Distinct());
        Assert.All(bodies, b => Assert.Equal(90, b.GetProperty("balance").GetInt64()));
        Assert.Equal(90, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user), e => e.Kind == Spending.SpendKind);
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task A_retry_with_the_same_key_replays_the_stored_answer_even_after_the_balance_moved()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        using var first = await server.SpendAsync(user, 5, "retry-me");
        var firstBody = await first.Content.ReadAsStringAsync(Cancel);
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 1000, "top-up"));

        using var again = await server.SpendAsync(user, 5, "retry-me");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(firstBody, await again.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1095, await server.BalanceAsync(user));
    }

    [Theory]
    [InlineData(6, "resume match")]
    [InlineData(5, "another reason")]
    public async Task The_same_key_with_another_body_is_409_and_changes_nothing(long credits, string reason)
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 5, "k1", "resume match"));

        var problem = await server.ExpectAsync(HttpStatusCode.Conflict, server.SpendAsync(user, credits, "k1", reason));

        Assert.Contains("k1", problem.GetProperty("detail").GetString());
        Assert.Equal(95, await server.BalanceAsync(user));
        Assert.Equal(2, (await server.EntriesAsync(user)).Count);
    }

    [Fact]
    public async Task A_spend_key_cannot_be_reused_for_a_grant()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 5, "shared", "x"));

        await server.ExpectAsync(HttpStatusCode.Conflict, server.GrantAsync(user, 5, "shared", "x"));

        Assert.Equal(95, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task A_spend_larger_than_the_available_balance_is_402_and_does_not_use_up_the_key()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(10);

        var problem = await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 11, "big"));

        Assert.Equal(10, problem.GetProperty("available").GetInt64());
        Assert.Equal(11, problem.GetProperty("requested").GetInt64());
        Assert.Contains("10 credits available", problem.GetProperty("detail").GetString());
        Assert.Equal(10, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
        // A refusal is not remembered: after a top-up the same key goes through, once.
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 5, "top-up"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 11, "big"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 11, "big"));
        Assert.Equal(4, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Spending_from_a_negative_balance_is_refused()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(20);
        var ledger = server.Services.GetRequiredService<CreditLedger>();
        await using (var tx = await ledger.Database.BeginAsync(Cancel))
        {
            await ledger.PostAsync(tx, new Posting(user, -30, "reversal", "refund", StripeEvents.NewId("re")), Cancel);
            await tx.CommitAsync(Cancel);
        }

        var problem = await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 1, "neg"));

        Assert.Equal(-10, problem.GetProperty("balance").GetInt64());
        Assert.Equal(-10, await server.BalanceAsync(user));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task A_spend_without_an_idempotency_key_is_400_and_charges_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(10);

        var problem = await server.ExpectAsync(HttpStatusCode.BadRequest, server.SpendAsync(user, 1, key: null));

        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString());
        Assert.Equal(10, await server.BalanceAsync(user));
    }

    private static readonly (string Why, string Json, string Expected)[] BadBodies =
    [
        ("zero", """{"credits":0,"reason":"r"}""", "got 0"),
        ("negative", """{"credits":-5,"reason":"r"}""", "got -5"),
        ("fraction", """{"credits":1.5,"reason":"r"}""", "not whole"),
        ("string", """{"credits":"5","reason":"r"}""", "not a string"),
        ("absurd", """{"credits":10000001,"reason":"r"}""", "too large"),
        ("huge", """{"credits":1e30,"reason":"r"}""", "too large"),
        ("missing", """{"reason":"r"}""", "credits is required"),
        ("null", """{"credits":null,"reason":"r"}""", "credits is required"),
        ("bad-json", """{"credits":5,""", "could not be read"),
        ("json-null", "null", "send an object"),
        ("reason-type", """{"credits":5,"reason":7}""", "$.reason"),
        // PostgreSQL text cannot hold NUL: refused up front, not a 5xx from the database.
        ("reason-nul", """{"credits":5,"reason":"a\u0000b"}""", "control characters"),
    ];

    [Fact]
    public async Task Bad_amounts_and_bodies_are_400_problems_and_change_nothing()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);

        foreach (var (why, json, expected) in BadBodies)
        {
            // Holds have no reason field, so only spends and grants can get its type wrong.
            foreach (var path in why.StartsWith("reason-", StringComparison.Ordinal) ? ["spend", "grants"] : new[] { "spend", "grants", "holds" })
            {
                var problem = await server.ExpectAsync(HttpStatusCode.BadRequest, server.PostJsonAsync($"/api/users/{user}/{path}", json, $"{why}-{path}"));
                Assert.True(problem.GetProperty("detail").GetString()!.Contains(expected, StringComparison.Ordinal),
                    $"{why} on {path}: {problem.GetProperty("detail").GetString()}");
            }
        }

        Assert.Equal(100, await server.BalanceAsync(user));
        Assert.Single(await server.EntriesAsync(user));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM holds WHERE account_id = @user", new { user }));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(5);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{user}/spend") { Content = new StringContent("credits=1", Encoding.UTF8, "text/plain") };
        request.Headers.Add("Idempotency-Key", "form");

        await server.ExpectAsync(HttpStatusCode.BadRequest, server.Client.SendAsync(request, Cancel));

        Assert.Equal(5, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task Unknown_users_are_404_and_nothing_is_stored()
    {
        await using var server = await CreditsServer.StartAsync(Db);

        await server.ExpectAsync(HttpStatusCode.NotFound, server.SpendAsync("u_nobody", 1, "k"));
        await server.ExpectAsync(HttpStatusCode.NotFound, server.GrantAsync("u_nobody", 1, "k"));
        await server.ExpectAsync(HttpStatusCode.NotFound, server.HoldAsync("u_nobody", 1));

        Assert.Null(await server.BalanceAsync("u_nobody"));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM idempotency_keys WHERE account_id = 'u_nobody'"));
    }

    [Fact]
    public async Task A_grant_is_recorded_as_a_manual_grant_with_its_reason()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(0);

        var body = await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 25, "ticket-481", "support: failed match refunded"));

        Assert.Equal(25, body.GetProperty("balance").GetInt64());
        var entry = Assert.Single(await server.EntriesAsync(user));
        Assert.Equal(("grant", "grant", $"{user}:ticket-481", "support: failed match refunded"), (entry.Kind, entry.SourceKind, entry.SourceId, entry.Reason));
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 25, "ticket-481", "support: failed match refunded"));
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.GrantAsync(user, 25, "no-reason", reason: null));
        Assert.Equal(25, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task The_ledger_pages_newest_first()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        var user = await server.UserWithAsync(100);
        for (var i = 1; i <= 5; i++)
        {
            await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, i, $"page-{i}"));
        }

        var first = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}/ledger?limit=4", Cancel));
        var before = first.GetProperty("next_before").GetInt64();
        var second = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}/ledger?limit=4&before={before}", Cancel));

        var amounts = first.GetProperty("entries").EnumerateArray().Concat(second.GetProperty("entries").EnumerateArray())
            .Select(e => e.GetProperty("amount").GetInt64());
        Assert.Equal([-5, -4, -3, -2, -1, 100], amounts);
        var account = await server.UserAsync(user);
        Assert.Equal(85, account.GetProperty("balance").GetInt64());
        Assert.Equal(85, account.GetProperty("available").GetInt64());
        Assert.Equal(0, account.GetProperty("held").GetInt64());
    }
}
