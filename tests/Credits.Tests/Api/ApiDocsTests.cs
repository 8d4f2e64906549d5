using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteApiDocsTests(SqliteFixture db) : ApiDocsTests<SqliteFixture>(db);

public sealed class PostgresApiDocsTests(PostgresFixture db) : ApiDocsTests<PostgresFixture>(db);

/// <summary>
/// Runs every curl line of docs/api.md, in order, against a fresh server and checks each answer
/// against the JSON block under it, so the documentation cannot drift from the API.
/// </summary>
public abstract partial class ApiDocsTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    // Numbers that differ from run to run; strings that do are written with "…" in the docs.
    private static readonly HashSet<string> Varying = ["id", "entry_id", "next_before"];

    protected TFixture Db { get; } = db;

    [Fact]
    public async Task Every_curl_example_in_the_api_docs_runs_and_answers_as_shown()
    {
        await using var server = await CreditsServer.StartAsync(Db);
        using var client = server.AnonymousClient();
        var variables = new Dictionary<string, string> { ["BASE"] = "", ["KEY"] = CreditsServer.ApiKey };
        var examples = Examples(await File.ReadAllLinesAsync(DocsPath(), TestContext.Current.CancellationToken)).ToList();
        Assert.True(examples.Count >= 12, $"only {examples.Count} curl examples found in docs/api.md");

        foreach (var (command, expected) in examples)
        {
            var assignment = AssignmentPattern().Match(command);
            var curl = assignment.Success ? assignment.Groups["curl"].Value : command;
            using var response = await client.SendAsync(Request(Words(curl, variables)), TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var actual = JsonDocument.Parse(text).RootElement;
            if (assignment.Success)
            {
                variables[assignment.Groups["name"].Value] = actual.GetProperty(assignment.Groups["field"].Value).GetString()!;
            }
            if (expected is null)
            {
                Assert.True(response.IsSuccessStatusCode, $"{command}\n→ {(int)response.StatusCode} {text}");
                continue;
            }
            var shown = JsonDocument.Parse(expected).RootElement;
            var status = shown.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : (int?)null;
            Assert.True(status is { } code ? (int)response.StatusCode == code : response.IsSuccessStatusCode, $"{command}\n→ {(int)response.StatusCode} {text}");
            AssertMatches(shown, actual, "$", $"{command}\n→ {text}");
        }
    }

    /// <summary>(curl line, the JSON block right after its sh block or null) in document order.</summary>
    private static IEnumerable<(string Command, string? Expected)> Examples(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```sh")
            {
                continue;
            }
            var commands = new List<string>();
            for (i++; lines[i] != "```"; i++)
            {
                if (lines[i].Contains("curl ", StringComparison.Ordinal))
                {
                    commands.Add(lines[i]);
                }
            }
            string? json = null;
            if (i + 1 < lines.Length && lines[i + 1] == "```json")
            {
                var block = new StringBuilder();
                for (i += 2; lines[i] != "```"; i++)
                {
                    block.AppendLine(lines[i]);
                }
                json = block.ToString();
            }
            for (var c = 0; c < commands.Count; c++)
            {
                yield return (commands[c], c == commands.Count - 1 ? json : null);
            }
        }
    }

    private static HttpRequestMessage Request(IReadOnlyList<string> words)
    {
        Assert.Equal("curl", words[0]);
        string? method = null, body = null, url = null, contentType = null;
        var headers = new List<(string, string)>();
        for (var i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "-s":
                    break;
                case "-X":
                    method = words[++i];
                    break;
                case "-d" or "--data":
                    body = words[++i];
                    break;
                case "-H":
                    var header = words[++i].Split(':', 2, StringSplitOptions.TrimEntries);
                    if (header[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                    {
                        contentType = header[1];
                    }
                    else
                    {
                        headers.Add((header[0], header[1]));
                    }
                    break;
                default:
                    Assert.Null(url);
                    url = words[i];
                    break;
            }
        }
        var request = new HttpRequestMessage(new HttpMethod(method ?? (body is null ? "GET" : "POST")), url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/x-www-form-urlencoded");
        }
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>Splits a shell line the way sh does for these examples: quotes, and $VAR outside single quotes.</summary>
    private static List<string> Words(string line, Dictionary<string, string> variables)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c is '\'' or '"')
            {
                var end = line.IndexOf(c, i + 1);
                var quoted = line[(i + 1)..end];
                word.Append(c == '"' ? VariablePattern().Replace(quoted, m => variables[m.Groups[1].Value]) : quoted);
                i = end;
            }
            else if (c == '$' && VariablePattern().Match(line, i) is { Success: true, Index: var at } match && at == i)
            {
                word.Append(variables[match.Groups[1].Value]);
                i += match.Length - 1;
            }
            else
            {
                word.Append(c);
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    private static void AssertMatches(JsonElement shown, JsonElement actual, string path, string context)
    {
        switch (shown.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in shown.EnumerateObject())
                {
                    Assert.True(actual.ValueKind == JsonValueKind.Object && actual.TryGetProperty(property.Name, out _), $"{path}.{property.Name} is missing:\n{context}");
                    if (!(property.Value.ValueKind == JsonValueKind.Number && Varying.Contains(property.Name)))
                    {
                        AssertMatches(property.Value, actual.GetProperty(property.Name), $"{path}.{property.Name}", context);
                    }
                }
                break;
            case JsonValueKind.Array:
                Assert.True(actual.ValueKind == JsonValueKind.Array && actual.GetArrayLength() == shown.GetArrayLength(), $"{path} differs:\n{context}");
                for (var i = 0; i < shown.GetArrayLength(); i++)
                {
                    AssertMatches(shown[i], actual[i], $"{path}[{i}]", context);
                }
                break;
            case JsonValueKind.String when shown.GetString()!.Contains('…'):
                Assert.Equal(JsonValueKind.String, actual.ValueKind);
                break;
            default:
                Assert.True(shown.GetRawText() == actual.GetRawText(), $"{path}: docs show {shown.GetRawText()}, the API answered {actual.GetRawText()}\n{context}");
                break;
        }
    }

    private static string DocsPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "api.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/api.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\$(\w+)")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"^(?<name>\w+)=\$\((?<curl>curl .*?)\s*\|\s*jq -r \.(?<field>\w+)\)$")]
    private static partial Regex AssignmentPattern();
}
