using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Credits.Tests.Infrastructure;
using Dapper;

namespace Credits.Tests.Api;

/// <summary>
/// On PostgreSQL a spend or grant with a new key, enough credits and no hold to expire is one
/// statement; everything else (and everything on SQLite) takes the per-statement path. The same
/// requests on both must answer the same and leave the same rows.
/// </summary>
public sealed class OneStatementSpendTests(SqliteFixture sqlite, PostgresFixture postgres)
    : IClassFixture<SqliteFixture>, IClassFixture<PostgresFixture>
{
    private static readonly string[] Tables =
    [
        "SELECT id, email, balance, held, created_at, updated_at FROM accounts ORDER BY id",
        "SELECT id, account_id, amount, kind, source_kind, source_id, reason, created_at FROM ledger_entries ORDER BY id",
        "SELECT account_id, credits, status, captured, expires_at, created_at, updated_at FROM holds ORDER BY created_at",
        "SELECT account_id, key, operation, request_hash, status_code, created_at FROM idempotency_keys ORDER BY key",
    ];

    [Fact]
    public async Task The_same_requests_leave_the_same_rows_and_answers_on_PostgreSQL_and_SQLite()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var user = StripeEvents.NewId("u");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var onSqlite = await RunAsync(sqlite, user, at);
        var onPostgres = await RunAsync(postgres, user, at);

        Assert.Equal(onSqlite.Answers, onPostgres.Answers);
        Assert.Equal(onSqlite.Rows, onPostgres.Rows);
        Assert.Equal(onSqlite.Responses.Count, onPostgres.Responses.Count);
        foreach (var (key, response) in onSqlite.Responses)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(response), JsonNode.Parse(onPostgres.Responses[key])), $"stored answers for {key} differ");
        }
        // The stored answer shows which path wrote it: PostgreSQL's json_build_object spaces its colons.
        Assert.Contains(" : ", onPostgres.Responses["spend-1"], StringComparison.Ordinal);
        Assert.DoesNotContain(" : ", onSqlite.Responses["spend-1"], StringComparison.Ordinal);
    }

    internal static async Task<(List<string> Answers, List<string> Rows, Dictionary<string, string> Responses)> RunAsync(
        DatabaseFixture fixture, string user, DateTimeOffset at, bool fastPaths = true)
    {
        // Set either way, whatever test.sh's second pass exports: these tests compare the paths.
        await using var server = await CreditsServer.StartAsync(fixture, settings => settings["CREDITS_FAST_PATHS"] = fastPaths ? "true" : "false");
        server.Time.SetUtcNow(at);
        (await server.PutUserAsync(user, "spender@example.com")).EnsureSuccessStatusCode();
        var answers = new List<string>();
        async Task Send(Task<HttpResponseMessage> call)
        {
            using var response = await call;
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            answers.Add($"{(int)response.StatusCode} {Regex.Replace(Regex.Replace(body, "hold_[0-9a-f]+", "hold_…"), "\"trace_id\":\"[^\"]*\"", "")}");
        }

        await Send(server.GrantAsync(user, 100, "grant-1"));
        await Send(server.SpendAsync(user, 30, "spend-1"));
        await Send(server.SpendAsync(user, 30, "spend-1"));
        await Send(server.SpendAsync(user, 30, "spend-1", "another reason"));
        await Send(server.SpendAsync(user, 500, "spend-2"));
        await Send(server.SpendAsync(user, 5, "spend-2"));
        await Send(server.HoldAsync(user, 10, ttlSeconds: 60, key: "hold-1"));
        server.Time.Advance(TimeSpan.FromMinutes(2));
        await Send(server.SpendAsync(user, 5, "spend-3"));
        await Send(server.GrantAsync(user, 7, "grant-2"));

        var rows = await server.RowsAsync(Tables);
        await using var connection = await server.Database.OpenAsync(TestContext.Current.CancellationToken);
        var responses = (await connection.QueryAsync<(string Key, string Response)>("SELECT key, response FROM idempotency_keys WHERE response IS NOT NULL"))
            .ToDictionary(r => r.Key, r => Regex.Replace(r.Response, "hold_[0-9a-f]+", "hold_…"));
        return (answers, rows, responses);
    }
}
