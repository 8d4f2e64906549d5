using System.Text.Json;
using System.Text.RegularExpressions;

namespace Credits.Tests.Deploy;

/// <summary>The Dockerfile as data: its stages and their instructions (continuation lines joined, comments dropped).</summary>
public sealed partial class DockerfileModel
{
    private DockerfileModel(List<Stage> stages) => Stages = stages;

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Build => Stages[0];

    public Stage Runtime => Stages[^1];

    public static DockerfileModel Parse(string text)
    {
        var stages = new List<Stage>();
        var logical = Regex.Replace(text, @"\\\r?\n", " ");
        foreach (var raw in logical.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var space = line.IndexOf(' ');
            var keyword = line[..space].ToUpperInvariant();
            var arguments = Regex.Replace(line[(space + 1)..].Trim(), @"\s+", " ");
            if (keyword == "FROM")
            {
                var parts = arguments.Split(' ');
                stages.Add(new Stage(parts[0], parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null, []));
                continue;
            }
            Assert.True(stages.Count > 0, $"Dockerfile: {keyword} before the first FROM");
            stages[^1].Instructions.Add(new Instruction(keyword, arguments));
        }
        Assert.True(stages.Count >= 2, "the Dockerfile should have a build stage and a runtime stage");
        return new DockerfileModel(stages);
    }

    public sealed record Instruction(string Keyword, string Arguments);

    public sealed record Stage(string Image, string? Name, List<Instruction> Instructions)
    {
        public IEnumerable<string> All(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

        /// <summary>ENV values in order, ${NAME} expanded from earlier ones or <paramref name="baseEnvironment"/>.</summary>
        public Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> baseEnvironment)
        {
            var values = new Dictionary<string, string>(baseEnvironment, StringComparer.Ordinal);
            var set = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var arguments in All("ENV"))
            {
                foreach (Match pair in EnvPair().Matches(arguments))
                {
                    var value = pair.Groups["quoted"].Success ? pair.Groups["quoted"].Value : pair.Groups["bare"].Value;
                    value = Variable().Replace(value, m => values.GetValueOrDefault(m.Groups[1].Value, ""));
                    values[pair.Groups["name"].Value] = value;
                    set[pair.Groups["name"].Value] = value;
                }
            }
            return set;
        }

        /// <summary>CMD in its exec (JSON array) form.</summary>
        public string[] Command() => JsonSerializer.Deserialize<string[]>(All("CMD").Last())!;
    }

    [GeneratedRegex("""(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?:"(?<quoted>[^"]*)"|(?<bare>\S+))""")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex Variable();
}
