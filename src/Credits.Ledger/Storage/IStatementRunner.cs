using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;

namespace Credits.Ledger.Storage;

/// <summary>
/// How a <see cref="LedgerTransaction"/> sends its statements: one at a time through Dapper
/// (<see cref="DapperStatements"/>), pipelined with other work items' (<see cref="StatementPipeline"/>),
/// or through a kept SQLite connection's cached commands (<see cref="KeptSqliteConnection"/>).
/// <see cref="ExecuteAsync"/> reads no rows; a statement whose rows are wanted (a SELECT, a
/// RETURNING) goes through a query method.
/// </summary>
internal interface IStatementRunner
{
    Task<int> ExecuteAsync(string sql, object? args, CancellationToken cancellationToken);

    Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args, CancellationToken cancellationToken);

    Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args, CancellationToken cancellationToken);
}

/// <summary>Rows read with Dapper's own mapping, for the runners that execute commands themselves.</summary>
internal static class Rows
{
    public static async Task<T?> SingleOrDefaultAsync<T>(DbDataReader reader, string sql, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            return default;
        }
        var value = Parser<T>(reader, sql)(reader);
        if (await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The query returned more than one row where at most one was expected.");
        }
        return value;
    }

    public static async Task<IReadOnlyList<T>> AllAsync<T>(DbDataReader reader, string sql, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        Func<DbDataReader, T>? parse = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            parse ??= Parser<T>(reader, sql);
            rows.Add(parse(reader));
        }
        return rows;
    }

    private static readonly ConcurrentDictionary<(string Sql, Type Type), Delegate> Parsers = new();

    /// <summary>
    /// Dapper's row parser, built once per SQL text and type (Dapper emits a new one on every
    /// call, which kept the JIT busy), except for a single value: Dapper's parser casts it, where its
    /// queries convert it (an integer column read as long), so that conversion is done here.
    /// </summary>
    private static Func<DbDataReader, T> Parser<T>(DbDataReader reader, string sql) =>
        (Func<DbDataReader, T>)Parsers.GetOrAdd((sql, typeof(T)), static (_, reader) => NewParser<T>(reader), reader);

    private static Func<DbDataReader, T> NewParser<T>(DbDataReader reader)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (!type.IsPrimitive && type != typeof(string) && type != typeof(decimal))
        {
            return reader.GetRowParser<T>();
        }
        return row => row.GetValue(0) switch
        {
            DBNull => default!,
            T value => value,
            var other => (T)Convert.ChangeType(other, type, System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
