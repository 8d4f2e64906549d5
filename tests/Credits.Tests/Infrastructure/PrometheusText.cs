using System.Globalization;
using System.Text.RegularExpressions;

namespace Credits.Tests.Infrastructure;

/// <summary>Samples read out of GET /metrics (Prometheus text: "name{labels} value" lines).</summary>
public static class PrometheusText
{
    /// <summary>The value of the one sample of <paramref name="name"/> carrying every given label.</summary>
    public static double Value(string metrics, string name, params string[] labels)
    {
        var samples = Samples(metrics, name, labels);
        Assert.True(samples.Count == 1, $"expected one sample of {name} {string.Join(",", labels)}, found {samples.Count}:\n{metrics}");
        return samples[0];
    }

    /// <summary>As <see cref="Value"/>, but 0 for a series with no sample: a counter never added to is not exported.</summary>
    public static double ValueOrZero(string metrics, string name, params string[] labels) =>
        Samples(metrics, name, labels) is [] ? 0 : Value(metrics, name, labels);

    private static List<double> Samples(string metrics, string name, string[] labels) =>
        [.. metrics.Split('\n')
            .Where(line => Regex.IsMatch(line, $@"^{Regex.Escape(name)}(\{{| )") && labels.All(line.Contains))
            .Select(line => double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture))];
}
