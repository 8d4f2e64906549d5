using Microsoft.Data.Sqlite;
using Npgsql;

namespace Credits.Ledger.Storage;

/// <summary>Where the ledger lives: a PostgreSQL connection string, or a SQLite file.</summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString)
{
    public static DatabaseSettings Sqlite(string dataDirectory, int commandTimeoutSeconds = 30)
    {
        PrivateFiles.CreateDirectory(dataDirectory);
        var file = Path.Combine(Path.GetFullPath(dataDirectory), "credits.db");
        // Emails and every Stripe payload live here: 0600 before SQLite first opens it. SQLite gives
        // the -wal and -shm files it creates the database file's mode; older ones are narrowed.
        PrivateFiles.EnsurePrivate(file);
        PrivateFiles.Narrow(file + "-wal");
        PrivateFiles.Narrow(file + "-shm");
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = commandTimeoutSeconds,
        };
        return new DatabaseSettings(DatabaseProvider.Sqlite, builder.ConnectionString);
    }

    /// <summary>
    /// Accepts both forms hosting platforms use: <c>postgres://user:pass@host:5432/db?sslmode=require</c>
    /// (every libpq parameter Npgsql has an equivalent for, see <see cref="PostgresUrl"/>) and an
    /// Npgsql connection string (<c>Host=...;Username=...</c>). <paramref name="pooler"/>, or
    /// <c>pgbouncer=true</c> in the URL, selects pooler-safe mode for a transaction-mode pooler
    /// such as PgBouncer: nothing then relies on state kept in a server session between transactions.
    /// </summary>
    /// <exception cref="DatabaseUrlException">A parameter is unknown or has a bad value (one sentence naming it).</exception>
    public static DatabaseSettings Postgres(string databaseUrl, int commandTimeoutSeconds = 30, bool pooler = false)
    {
        NpgsqlConnectionStringBuilder builder;
        if (PostgresUrl.IsUrl(databaseUrl))
        {
            var parsed = PostgresUrl.Parse(databaseUrl);
            builder = parsed.Builder;
            pooler |= parsed.Pooler;
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(databaseUrl);
            }
            catch (ArgumentException e)
            {
                throw new DatabaseUrlException(e.ParamName is { Length: > 0 } setting
                    ? $"DATABASE_URL is neither a postgres:// URL nor a valid Npgsql connection string; check its '{setting}' setting."
                    : "DATABASE_URL is neither a postgres:// URL nor a valid Npgsql connection string (Host=...;Username=...).");
            }
        }
        if (!Mentions(databaseUrl, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = commandTimeoutSeconds;
        }
        if (pooler)
        {
            // A transaction-mode pooler hands each transaction to whichever server connection is
            // free: a statement prepared on one is unknown on the next ("prepared statement
            // \"_auto0\" does not exist"), and DISCARD ALL on close would reset another client's session.
            builder.MaxAutoPrepare = 0;
            builder.NoResetOnClose = true;
        }
        else
        {
            // The hot path is a handful of fixed statements: let Npgsql prepare them, and keep them
            // prepared across pool rentals instead of sending DISCARD ALL on every open.
            if (!Mentions(databaseUrl, "Max Auto Prepare", "MaxAutoPrepare"))
            {
                builder.MaxAutoPrepare = 64;
            }
            if (!Mentions(databaseUrl, "No Reset On Close", "NoResetOnClose"))
            {
                builder.NoResetOnClose = true;
            }
        }
        return new DatabaseSettings(DatabaseProvider.Postgres, builder.ConnectionString) { Pooler = pooler };
    }

    /// <summary>
    /// Whether PostgreSQL's one-statement fast paths run (CREDITS_FAST_PATHS, default true). Off,
    /// every write takes the per-statement path, as on SQLite. See <see cref="LedgerTransaction.FastPaths"/>.
    /// </summary>
    public bool FastPaths { get; init; } = true;

    /// <summary>
    /// Whether group commit pipelines the statements of a batch's work items on PostgreSQL
    /// (CREDITS_PIPELINE, default true). Off, the items of a batch run one after another, as on SQLite.
    /// </summary>
    public bool Pipeline { get; init; } = true;

    /// <summary>Pooler-safe mode: no prepared statements, no session state between transactions.</summary>
    public bool Pooler { get; init; }

    private static bool Mentions(string connectionString, params string[] keys) =>
        keys.Any(key => connectionString.Contains(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>The connection string with any password hidden, for logs and start-up output.</summary>
    public string Describe() => Provider switch
    {
        DatabaseProvider.Sqlite => $"SQLite {new SqliteConnectionStringBuilder(ConnectionString).DataSource}",
        _ => DescribePostgres(),
    };

    private string DescribePostgres()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}{(Pooler ? " (pooler-safe mode)" : "")}";
    }
}
