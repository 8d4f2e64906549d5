using System.Diagnostics;
using System.Text.RegularExpressions;
using Credits.Tests.Api;
using Credits.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Credits.Tests.Deploy;

public sealed class SqliteAlertRulesTests(SqliteFixture db) : AlertRulesTests<SqliteFixture>(db);

public sealed class PostgresAlertRulesTests(PostgresFixture db) : AlertRulesTests<PostgresFixture>(db);

/// <summary>
/// deploy/prometheus: every series the alert rules and their promtool tests use is one a running
/// server really exports (name and labels, read from its /metrics), every alert links to a runbook
/// section that exists, and promtool accepts the rules and passes their unit tests.
/// </summary>
public abstract partial class AlertRulesTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private const string Folder = "deploy/prometheus";

    // Prometheus adds these to every scraped series; the server does not export them.
    private static readonly string[] TargetLabels = ["job", "instance"];

    [Fact]
    public async Task Rules_and_their_tests_use_only_series_a_running_server_exports_and_promtool_passes_them()
    {
        var exported = await ScrapeAsync();
        var rules = Rules();
        Assert.Equal(6, rules.Count);

        foreach (var (alert, expr, _) in rules)
        {
            var names = MetricName().Matches(expr).Select(m => m.Value).Distinct().ToList();
            Assert.True(names.Count > 0, $"{alert} uses no credits_ series");
            foreach (var name in names)
            {
                Assert.True(exported.ContainsKey(name), $"{alert} uses {name}, which /metrics does not export:\n{string.Join('\n', exported.Keys)}");
            }
            foreach (var label in LabelsUsed(expr).Except(TargetLabels))
            {
                Assert.True(names.Any(n => exported[n].Any(set => set.Contains(label))), $"{alert} uses the label {label}, which none of {string.Join(", ", names)} carries");
            }
        }

        var tests = TestFile();
        foreach (var series in tests.Series)
        {
            var match = SeriesText().Match(series);
            var name = match.Groups["name"].Value;
            var labels = LabelNames(match.Groups["labels"].Value).Except(TargetLabels).Order(StringComparer.Ordinal);
            Assert.True(exported.TryGetValue(name, out var sets) && sets.Any(set => set.Order(StringComparer.Ordinal).SequenceEqual(labels)),
                $"alerts.test.yml feeds {series}, which is not shaped like any exported series: {(sets is null ? "no such metric" : string.Join(" | ", sets.Select(s => string.Join(",", s))))}");
        }
        Assert.All(rules, rule => Assert.Contains(rule.Alert, tests.FiringAlerts));

        var check = await PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(check.ExitCode == 0 && check.Output.Contains("SUCCESS: 6 rules found", StringComparison.Ordinal), check.Output);
        var unit = await PromtoolAsync("test", "rules", "alerts.test.yml");
        Assert.True(unit.ExitCode == 0 && unit.Output.Contains("SUCCESS", StringComparison.Ordinal), unit.Output);
    }

    [Fact]
    public void Every_alert_links_to_a_runbook_section_that_exists()
    {
        var anchors = RepositoryRoot.Read("docs/operations.md").Split('\n')
            .Where(l => l.StartsWith('#'))
            .Select(l => Regex.Replace(l.TrimStart('#').Trim().ToLowerInvariant(), @"[^a-z0-9 _-]", "").Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);
        Assert.All(Rules(), rule =>
        {
            Assert.StartsWith("docs/operations.md#", rule.Runbook);
            Assert.Contains(rule.Runbook.Split('#')[1], anchors);
        });
    }

    /// <summary>A real server after a grant, a parked payment, a failed event and a forged delivery: metric name → its label-name sets.</summary>
    private async Task<Dictionary<string, List<HashSet<string>>>> ScrapeAsync()
    {
        await using var server = await CreditsServer.StartAsync(db);
        (await server.PostEventAsync(StripeEvents.Paid(StripeEvents.NewId("u"), 10))).Dispose();
        (await server.PostEventAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(amountTotal: 123, email: "nobody@example.invalid")))).Dispose();
        (await server.PostEventAsync(StripeEvents.Paid("u_forged", 99), secret: "whsec_not_the_configured_one_0123456789")).Dispose();
        await StatsApiTests<TFixture>.InsertFailedEventAsync(server, "evt_failed_alerts", server.Time.GetUtcNow().AddMinutes(-20));
        var text = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        var exported = new Dictionary<string, List<HashSet<string>>>(StringComparer.Ordinal);
        foreach (Match sample in SeriesText().Matches(text))
        {
            var set = LabelNames(sample.Groups["labels"].Value).ToHashSet(StringComparer.Ordinal);
            var sets = exported.TryGetValue(sample.Groups["name"].Value, out var known) ? known : exported[sample.Groups["name"].Value] = [];
            if (!sets.Any(s => s.SetEquals(set)))
            {
                sets.Add(set);
            }
        }
        return exported;
    }

    private static List<(string Alert, string Expr, string Runbook)> Rules() =>
        [.. Sequence(Yaml("alerts.yml"), "groups")
            .SelectMany(group => Sequence(group, "rules"))
            .Select(rule => (Scalar(rule, "alert"), Scalar(rule, "expr"), Scalar((YamlMappingNode)rule["annotations"], "runbook_url")))];

    private static (List<string> Series, HashSet<string> FiringAlerts) TestFile()
    {
        var tests = Sequence(Yaml("alerts.test.yml"), "tests").ToList();
        var series = tests.SelectMany(t => Sequence(t, "input_series")).Select(s => Scalar(s, "series")).ToList();
        var firing = tests.SelectMany(t => Sequence(t, "alert_rule_test"))
            .Where(t => ((YamlSequenceNode)t["exp_alerts"]).Children.Count > 0)
            .Select(t => Scalar(t, "alertname"))
            .ToHashSet(StringComparer.Ordinal);
        return (series, firing);
    }

    /// <summary>Label names in matchers ({code=~"5.."}) and in by/without clauses.</summary>
    private static IEnumerable<string> LabelsUsed(string expr) =>
        Regex.Matches(expr, @"\{([^}]*)\}").SelectMany(m => LabelNames(m.Groups[1].Value))
            .Concat(Regex.Matches(expr, @"\b(?:by|without)\s*\(([^)]*)\)").SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            .Distinct(StringComparer.Ordinal);

    private static IEnumerable<string> LabelNames(string labels) =>
        Regex.Matches(labels, @"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)").Select(m => m.Groups[1].Value);

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/promtool") || File.Exists("/usr/local/bin/promtool"),
            "promtool is not installed; ./test.sh installs Debian's prometheus package for it when run as root.");
        var info = new ProcessStartInfo("promtool", arguments)
        {
            WorkingDirectory = RepositoryRoot.File(Folder),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + error);
    }

    private static YamlMappingNode Yaml(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryRoot.Read(Path.Combine(Folder, file)));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static IEnumerable<YamlMappingNode> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Cast<YamlMappingNode>();

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value ?? "";

    [GeneratedRegex(@"\bcredits_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    /// <summary>A sample or series: name, optional {labels}; anchored at a line start in scrapes.</summary>
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})?", RegexOptions.Multiline)]
    private static partial Regex SeriesText();
}
