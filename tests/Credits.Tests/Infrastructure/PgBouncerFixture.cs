using System.Globalization;
using Credits.Ledger.Storage;
using Npgsql;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// A database of its own on the throwaway PostgreSQL, reached through the real PgBouncer (pool_mode=transaction)
/// that ./test.sh starts in front of it (CREDITS_TEST_PGBOUNCER). <see cref="DatabaseFixture.DatabaseUrl"/>
/// goes through PgBouncer with <c>pgbouncer=true</c> (pooler-safe mode); <see cref="DirectUrl"/> bypasses it.
/// Skipped, saying why, when PgBouncer is not running here.
/// </summary>
public sealed class PgBouncerFixture : ThrowawayPostgresDatabase
{
    public const string BouncerVariable = "CREDITS_TEST_PGBOUNCER";

    private NpgsqlConnectionStringBuilder? _bouncer;

    /// <summary>An Npgsql connection string straight to PostgreSQL, for assertions that must not depend on the pooler.</summary>
    public string DirectUrl { get; private set; } = "";

    /// <summary>A postgres:// URL to this database through PgBouncer, with <paramref name="parameters"/> as its query.</summary>
    public string BouncerUrl(string parameters = "pgbouncer=true") =>
        $"postgres://postgres@127.0.0.1:{_bouncer!.Port.ToString(CultureInfo.InvariantCulture)}/{DatabaseName}?connect_timeout=5{(parameters.Length > 0 ? "&" + parameters : "")}";

    /// <summary>Settings for assertions: straight to PostgreSQL.</summary>
    public DatabaseSettings DirectSettings() => DatabaseSettings.Postgres(DirectUrl);

    public override async ValueTask InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable(PostgresFixture.ServerVariable);
        var bouncer = Environment.GetEnvironmentVariable(BouncerVariable);
        if (string.IsNullOrEmpty(server) || string.IsNullOrEmpty(bouncer))
        {
            SkipReason = $"{BouncerVariable} is not set: ./test.sh starts PgBouncer in front of its throwaway PostgreSQL when /usr/sbin/pgbouncer is installed (apt-get install pgbouncer).";
            return;
        }
        _bouncer = new NpgsqlConnectionStringBuilder(bouncer);
        DirectUrl = await CreateDatabaseAsync(server, "credits_bouncer_");
        DatabaseUrl = BouncerUrl();
    }
}
