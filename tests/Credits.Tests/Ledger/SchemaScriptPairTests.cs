using System.Reflection;
using Credits.Ledger;

namespace Credits.Tests.Ledger;

/// <summary>
/// The SQLite and PostgreSQL schema scripts are kept as pairs with the same names (DbUp records
/// names). They may differ only where this list says so, so one cannot drift from the other unnoticed.
/// </summary>
public sealed class SchemaScriptPairTests
{
    /// <summary>Scripts that exist for one provider only, with the reason.</summary>
    private static readonly Dictionary<string, string> OneProviderOnly = new()
    {
        ["Postgres/0006_payload_lz4.sql"] = "column compression is a PostgreSQL feature",
        ["Postgres/0013_payment_intent_lock.sql"] = "advisory locks and SQL functions are PostgreSQL features; SQLite has one writer and needs no lock",
        ["Postgres/0015_payment_intent_lock_plpgsql.sql"] = "the same lock function in PL/pgSQL",
    };

    /// <summary>Per script: the PostgreSQL lines and the SQLite lines that replace them.</summary>
    private static readonly Dictionary<string, (string[] Postgres, string[] Sqlite)> AllowedDifferences = new()
    {
        ["0001_core.sql"] = (
            ["id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"],
            ["id          INTEGER PRIMARY KEY AUTOINCREMENT,"]),
        ["0009_credit_lots.sql"] = (
            ["id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"],
            ["id          INTEGER PRIMARY KEY AUTOINCREMENT,"]),
        ["0010_webhook_outbox.sql"] = (
            ["seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"],
            ["seq                 INTEGER PRIMARY KEY AUTOINCREMENT,"]),
        // SQLite cannot add a stored column to a table, and has no fill factor.
        ["0014_lots_updated_in_place.sql"] = (
            ["ALTER TABLE credit_lots ADD COLUMN unspent boolean GENERATED ALWAYS AS (remaining > 0) STORED;",
             "-- Room on each page for the updated versions of its lots.",
             "ALTER TABLE credit_lots SET (fillfactor = 90);"],
            ["ALTER TABLE credit_lots ADD COLUMN unspent boolean GENERATED ALWAYS AS (remaining > 0) VIRTUAL;",
             "-- SQLite computes unspent when it reads a row (a column added to a table cannot be stored), and",
             "-- it has no fill factor: a SQLite row is rewritten in place."]),
    };

    private static readonly Assembly Ledger = typeof(CreditLedger).Assembly;

    private static Dictionary<string, string> Scripts(string provider)
    {
        var prefix = $"{Ledger.GetName().Name}.Schema.{provider}.";
        return Ledger.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(name => name[prefix.Length..], name =>
            {
                using var reader = new StreamReader(Ledger.GetManifestResourceStream(name)!);
                return reader.ReadToEnd();
            });
    }

    private static string[] Lines(string script) =>
        script.ReplaceLineEndings("\n").Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();

    [Fact]
    public void Every_script_has_its_pair_unless_listed()
    {
        var (postgres, sqlite) = (Scripts("Postgres").Keys, Scripts("Sqlite").Keys);
        var unpaired = postgres.Except(sqlite).Select(n => $"Postgres/{n}")
            .Concat(sqlite.Except(postgres).Select(n => $"Sqlite/{n}"))
            .Order().ToArray();

        Assert.NotEmpty(Scripts("Postgres"));
        Assert.Equal(OneProviderOnly.Keys.Order().ToArray(), unpaired);
    }

    [Fact]
    public void Paired_scripts_differ_only_where_allowed()
    {
        var sqlite = Scripts("Sqlite");
        foreach (var (name, postgresText) in Scripts("Postgres"))
        {
            if (!sqlite.TryGetValue(name, out var sqliteText))
            {
                continue;
            }
            var (postgres, lite) = (Lines(postgresText), Lines(sqliteText));
            var allowed = AllowedDifferences.GetValueOrDefault(name, ([], []));
            Assert.True(postgres.Except(lite).SequenceEqual(allowed.Postgres) && lite.Except(postgres).SequenceEqual(allowed.Sqlite),
                $"{name}: PostgreSQL-only lines [{string.Join(" | ", postgres.Except(lite))}], SQLite-only lines [{string.Join(" | ", lite.Except(postgres))}]; "
                + "make the scripts agree or add the difference to AllowedDifferences with its reason.");
            Assert.Equal(postgres.Length, lite.Length);
        }
    }
}
