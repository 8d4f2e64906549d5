using System.Globalization;
using Dapper;

namespace Credits.Tests.Infrastructure;

public static class TableRows
{
    /// <summary>Every row the queries return, one "column=value | …" line each, for comparing two databases' contents.</summary>
    public static async Task<List<string>> RowsAsync(this CreditsServer server, IEnumerable<string> queries)
    {
        var rows = new List<string>();
        await using var connection = await server.Database.OpenAsync(TestContext.Current.CancellationToken);
        foreach (var sql in queries)
        {
            foreach (IDictionary<string, object?> row in await connection.QueryAsync(sql))
            {
                rows.Add(string.Join(" | ", row.Select(column => $"{column.Key}={Convert.ToString(column.Value, CultureInfo.InvariantCulture)}")));
            }
        }
        return rows;
    }
}
