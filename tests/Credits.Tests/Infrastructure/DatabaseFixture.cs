using Credits.Ledger.Storage;
using Npgsql;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// A fresh database for one test class. Test bodies are written once and run against every
/// provider through the subclasses (as Dapper's suite does).
/// </summary>
public abstract class DatabaseFixture : IAsyncLifetime
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("credits-test-").FullName;

    public abstract DatabaseProvider Provider { get; }

    /// <summary>DATABASE_URL for the server under test; empty means SQLite in <see cref="DataDirectory"/>.</summary>
    public string DatabaseUrl { get; protected set; } = "";

    /// <summary>Set when this provider cannot run here; tests skip with this sentence.</summary>
    public string? SkipReason { get; protected set; }

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Makes the database unusable for the server until the result is disposed.</summary>
    public abstract Task<IAsyncDisposable> BreakAsync();

    /// <summary>
    /// The database's settings, with CREDITS_FAST_PATHS and CREDITS_PIPELINE from the environment
    /// (test.sh runs the PostgreSQL classes a second time with both false); servers and child
    /// processes read them themselves.
    /// </summary>
    public DatabaseSettings Settings() => (string.IsNullOrEmpty(DatabaseUrl)
        ? DatabaseSettings.Sqlite(DataDirectory)
        : DatabaseSettings.Postgres(DatabaseUrl)) with { FastPaths = SwitchFromEnvironment("CREDITS_FAST_PATHS"), Pipeline = SwitchFromEnvironment("CREDITS_PIPELINE") };

    private static bool SwitchFromEnvironment(string variable) =>
        !string.Equals(Environment.GetEnvironmentVariable(variable)?.Trim(), "false", StringComparison.OrdinalIgnoreCase);
}

public sealed class SqliteFixture : DatabaseFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    /// <summary>Another process holding the write lock: the server's writes time out with SQLITE_BUSY.</summary>
    public override async Task<IAsyncDisposable> BreakAsync()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection(Settings().ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE";
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}

/// <summary>
/// A database of its own on the throwaway server that ./test.sh starts (CREDITS_TEST_POSTGRES).
/// Skipped only when the PostgreSQL binaries are absent from this machine, and it says so.
/// </summary>
public sealed class PostgresFixture : ThrowawayPostgresDatabase
{
    public const string ServerVariable = "CREDITS_TEST_POSTGRES";
    public const string Binaries = "/usr/lib/postgresql/15/bin";

    public override async ValueTask InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrEmpty(server))
        {
            if (!File.Exists(Path.Combine(Binaries, "postgres")))
            {
                SkipReason = $"PostgreSQL binaries are absent ({Binaries}); PostgreSQL tests are skipped on this machine.";
                return;
            }
            throw new InvalidOperationException(
                $"{ServerVariable} is not set. Run ./test.sh, which starts a throwaway PostgreSQL and runs every test on both databases.");
        }
        DatabaseUrl = await CreateDatabaseAsync(server, "credits_");
    }
}

/// <summary>
/// The lifecycle every PostgreSQL fixture shares: a database created for one test class on the
/// throwaway server, an outage on demand, and the database dropped at the end.
/// </summary>
public abstract class ThrowawayPostgresDatabase : DatabaseFixture
{
    private string? _server;

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    /// <summary>This class's database name; empty when the fixture is skipped.</summary>
    public string DatabaseName { get; private set; } = "";

    /// <summary>Creates a database named <paramref name="prefix"/> + a random suffix; returns an Npgsql connection string straight to it.</summary>
    protected async Task<string> CreateDatabaseAsync(string server, string prefix)
    {
        _server = server;
        DatabaseName = prefix + Guid.NewGuid().ToString("N")[..12];
        await AdminAsync($"CREATE DATABASE {DatabaseName}");
        return new NpgsqlConnectionStringBuilder(server) { Database = DatabaseName, Timeout = 5 }.ConnectionString;
    }

    /// <summary>Turns new connections to this database away and ends the open ones: an outage.</summary>
    public override async Task<IAsyncDisposable> BreakAsync()
    {
        await AdminAsync($"ALTER DATABASE {DatabaseName} WITH ALLOW_CONNECTIONS false");
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DatabaseName}'");
        return new Restore(() => AdminAsync($"ALTER DATABASE {DatabaseName} WITH ALLOW_CONNECTIONS true"));
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)");
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
