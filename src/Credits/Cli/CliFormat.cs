using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Credits.Cli;

/// <summary>Renders the server's JSON answers as tables, or as the JSON itself with --json.</summary>
public static class CliFormat
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Pretty(JsonElement json) => JsonSerializer.Serialize(json, Indented);

    /// <summary>One row per element of <paramref name="rows"/>, one column per field name.</summary>
    public static Table Table(JsonElement rows, params string[] fields)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var field in fields)
        {
            // Ids and emails are copied into the next command: never broken across lines.
            var column = new TableColumn(field.Replace('_', ' '));
            table.AddColumn(field is "id" or "type" or "email" || field.EndsWith("_id", StringComparison.Ordinal) ? column.NoWrap() : column);
        }
        if (rows.ValueKind == JsonValueKind.Array)
        {
            foreach (var row in rows.EnumerateArray())
            {
                table.AddRow([.. fields.Select(f => new Text(Field(row, f)))]);
            }
        }
        return table;
    }

    /// <summary>Field / value pairs of one object, in the order given (every field when none is given).</summary>
    public static Grid Record(JsonElement record, params string[] fields)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        var names = fields.Length > 0 || record.ValueKind != JsonValueKind.Object
            ? fields
            : [.. record.EnumerateObject().Select(p => p.Name)];
        foreach (var name in names)
        {
            grid.AddRow(new Text(name.Replace('_', ' '), new Style(decoration: Decoration.Bold)), new Text(Field(record, name)));
        }
        return grid;
    }

    public static string Field(JsonElement row, string name) =>
        row.ValueKind == JsonValueKind.Object && row.TryGetProperty(name, out var value) ? Value(value) : "-";

    public static string Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        JsonValueKind.String => Time(value.GetString()!),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Number => value.GetRawText(),
        _ => value.GetRawText(),
    };

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>ISO-8601 times shown compactly; every other string as it is.</summary>
    private static string Time(string text) =>
        text.Length is >= 20 and <= 40 && text[4] == '-' && text[10] == 'T'
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? Time(time)
            : text;
}
