using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

/// <summary>CREDITS_FAST_PATHS=false: PostgreSQL grants statement by statement, as SQLite does, and leaves the same rows (a fixture of its own: the comparison reads whole tables).</summary>
public sealed class GrantWithoutFastPathTests(SqliteFixture sqlite, PostgresFixture postgres)
    : IClassFixture<SqliteFixture>, IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task With_CREDITS_FAST_PATHS_false_PostgreSQL_takes_the_per_statement_path_and_leaves_the_same_rows()
    {
        Assert.SkipWhen(postgres.SkipReason is not null, postgres.SkipReason ?? "");
        var events = OneStatementGrantTests.Scenario();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var (sqliteAnswers, sqliteRows, _) = await OneStatementGrantTests.RunAsync(sqlite, events, at);
        var (postgresAnswers, postgresRows, postgresMetrics) = await OneStatementGrantTests.RunAsync(postgres, events, at, fastPaths: false);

        Assert.Equal(sqliteAnswers, postgresAnswers);
        Assert.Equal(sqliteRows, postgresRows);
        Assert.Equal(0, PrometheusText.ValueOrZero(postgresMetrics, "credits_webhook_one_statement_grants_total"));
    }
}
