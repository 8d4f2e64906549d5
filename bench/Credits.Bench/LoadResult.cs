using System.Diagnostics;

namespace Credits.Bench;

/// <summary>What came back for each request (status, latency) and how long the whole run took.</summary>
public sealed record LoadResult(BenchRequest[] Requests, int[] Statuses, long[] Latencies, TimeSpan Elapsed)
{
    private long[]? _sorted;

    public int Answered => Statuses.Count(s => s > 0);

    public int Succeeded => Statuses.Count(IsSuccess);

    public double PerSecond => Answered / Elapsed.TotalSeconds;

    public static bool IsSuccess(int status) => status is >= 200 and < 300;

    /// <summary>Status code → count, with 0 for network errors; requests never sent are left out.</summary>
    public SortedDictionary<int, int> StatusCounts()
    {
        var counts = new SortedDictionary<int, int>();
        foreach (var status in Statuses.Where(s => s != LoadRunner.NotSent))
        {
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }
        return counts;
    }

    /// <summary>Latency in milliseconds at quantile <paramref name="q"/> (nearest rank) over answered requests.</summary>
    public double LatencyMs(double q)
    {
        var answered = _sorted ??= [.. Latencies.Where((_, i) => Statuses[i] != LoadRunner.NotSent).Order()];
        if (answered.Length == 0)
        {
            return double.NaN;
        }
        var rank = Math.Clamp((int)Math.Ceiling(q * answered.Length) - 1, 0, answered.Length - 1);
        return answered[rank] * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>Net credits each account should have gained from the requests that got a 2xx.</summary>
    public Dictionary<string, long> ExpectedDeltas()
    {
        var deltas = new Dictionary<string, long>();
        for (var i = 0; i < Requests.Length; i++)
        {
            if (IsSuccess(Statuses[i]))
            {
                deltas[Requests[i].UserId] = deltas.GetValueOrDefault(Requests[i].UserId) + Requests[i].CreditsDelta;
            }
        }
        return deltas;
    }
}
