using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>Migrations over a direct URL, as Prisma's directUrl, when DATABASE_URL goes through the pooler.</summary>
public sealed class MigrationUrlTests(PgBouncerFixture db) : IClassFixture<PgBouncerFixture>
{
    [Fact]
    public async Task Migrate_uses_CREDITS_MIGRATION_DATABASE_URL_when_the_server_goes_through_a_pooler()
    {
        Assert.SkipWhen(db.SkipReason is not null, db.SkipReason ?? "");
        var direct = new Npgsql.NpgsqlConnectionStringBuilder(db.DirectUrl);

        var (exitCode, output) = await CliRun.RunAsync("migrate", $"--DATABASE_URL={db.DatabaseUrl}", $"--CREDITS_MIGRATION_DATABASE_URL={db.DirectUrl}");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"PostgreSQL {direct.Host}:{direct.Port}/{db.DatabaseName}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("pooler-safe", output, StringComparison.Ordinal);
    }
}
