using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

/// <summary>CREDITS_FAST_PATHS=false: PostgreSQL spends and grants statement by statement, as SQLite does, and leaves the same rows (a fixture of its own: the comparison reads whole tables).</summary>
public sealed class SpendWithoutFastPathTests(SqliteFixture sqlite, PostgresFixture postgres)
    : IClassFixture<SqliteFixture>, IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task With_CREDITS_FAST_PATHS_false_PostgreSQL_spends_statement_by_statement_and_leaves_the_same_rows()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var user = StripeEvents.NewId("u");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var onSqlite = await OneStatementSpendTests.RunAsync(sqlite, user, at);
        var onPostgres = await OneStatementSpendTests.RunAsync(postgres, user, at, fastPaths: false);

        Assert.Equal(onSqlite.Answers, onPostgres.Answers);
        Assert.Equal(onSqlite.Rows, onPostgres.Rows);
        // No stored answer came from json_build_object: every one was serialised by the per-statement path.
        Assert.All(onPostgres.Responses.Values, response => Assert.DoesNotContain(" : ", response, StringComparison.Ordinal));
    }
}
