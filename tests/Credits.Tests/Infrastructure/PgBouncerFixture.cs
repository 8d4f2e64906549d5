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
public sealed class PgBouncerFixture : DatabaseFixture
{
    public const string BouncerVariable = "CREDITS_TEST_PGBOUNCER";

    private string? _server;
    private string? _database;
    private NpgsqlConnectionStringBuilder? _bouncer;

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    /// <summary>An Npgsql connection string straight to PostgreSQL, for assertions that must not depend on the pooler.</summary>
    public string DirectUrl { get; private set; } = "";

    public string DatabaseName => _database ?? "";

    /// <summary>A postgres:// URL to this database through PgBouncer, with <paramref name="parameters"/> as its query.</summary>
    public string BouncerUrl(string parameters = "pgbouncer=true") =>
        $"postgres://postgres@127.0.0.1:{_bouncer!.Port.ToString(CultureInfo.InvariantCulture)}/{_database}?connect_timeout=5{(parameters.Length > 0 ? "&" + parameters : "")}";

    /// <summary>Settings for assertions: straight to PostgreSQL.</summary>
    public DatabaseSettings DirectSettings() => DatabaseSettings.Postgres(DirectUrl);

    public override async ValueTask InitializeAsync()
    {
        _server = Environment.GetEnvironmentVariable(PostgresFixture.ServerVariable);
        var bouncer = Environment.GetEnvironmentVariable(BouncerVariable);
        if (string.IsNullOrEmpty(_server) || string.IsNullOrEmpty(bouncer))
        {
            SkipReason = $"{BouncerVariable} is not set: ./test.sh starts PgBouncer in front of its throwaway PostgreSQL when /usr/sbin/pgbouncer is installed (apt-get install pgbouncer).";
            return;
        }
        _bouncer = new NpgsqlConnectionStringBuilder(bouncer);
        _database = "credits_bouncer_" + Guid.NewGuid().ToString("N")[..12];
        await AdminAsync($"CREATE DATABASE {_database}");
        DirectUrl = new NpgsqlConnectionStringBuilder(_server) { Database = _database, Timeout = 5 }.ConnectionString;
        DatabaseUrl = BouncerUrl();
    }

    public override async Task<IAsyncDisposable> BreakAsync()
    {
        await AdminAsync($"ALTER DATABASE {_database} WITH ALLOW_CONNECTIONS false");
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_database}'");
        return new Restore(() => AdminAsync($"ALTER DATABASE {_database} WITH ALLOW_CONNECTIONS true"));
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }
        await base.DisposeAsync();
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
