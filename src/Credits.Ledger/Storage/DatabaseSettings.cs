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
    /// and an Npgsql connection string (<c>Host=...;Username=...</c>).
    /// </summary>
    public static DatabaseSettings Postgres(string databaseUrl, int commandTimeoutSeconds = 30)
    {
        var builder = databaseUrl.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || databaseUrl.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            ? FromUrl(databaseUrl)
            : new NpgsqlConnectionStringBuilder(databaseUrl);
        if (!Mentions(databaseUrl, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = commandTimeoutSeconds;
        }
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
        return new DatabaseSettings(DatabaseProvider.Postgres, builder.ConnectionString);
    }

    private static bool Mentions(string connectionString, params string[] keys) =>
        keys.Any(key => connectionString.Contains(key, StringComparison.OrdinalIgnoreCase));

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("DATABASE_URL is not a valid postgres:// URL; expected postgres://user:password@host:5432/database.");
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }
        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(parts[0]);
            var value = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "";
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }
        return builder;
    }

    /// <summary>The connection string with any password hidden, for logs and start-up output.</summary>
    public string Describe() => Provider switch
    {
        DatabaseProvider.Sqlite => $"SQLite {new SqliteConnectionStringBuilder(ConnectionString).DataSource}",
        _ => DescribePostgres(),
    };

    private string DescribePostgres()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
    }
}
