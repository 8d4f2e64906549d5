using Credits.Api;

namespace Credits.Telemetry;

/// <summary>The processing times of the last events this instance handled, for /api/stats (the histogram in /metrics has them all).</summary>
public sealed class RecentLatency
{
    private const int Capacity = 1024;

    private readonly Lock _lock = new();
    private readonly double[] _seconds = new double[Capacity];
    private long _count;

    public void Record(double seconds)
    {
        lock (_lock)
        {
            _seconds[_count++ % Capacity] = seconds;
        }
    }

    public StatsResponse.LatencySummary Summary()
    {
        double[] window;
        lock (_lock)
        {
            window = _seconds[..(int)Math.Min(_count, Capacity)];
        }
        if (window.Length == 0)
        {
            return new StatsResponse.LatencySummary(0, 0, 0, 0);
        }
        Array.Sort(window);
        return new StatsResponse.LatencySummary(window.Length, Milliseconds(window, 0.50), Milliseconds(window, 0.95), Math.Round(window[^1] * 1000, 2));
    }

    private static double Milliseconds(double[] sorted, double quantile) =>
        Math.Round(sorted[(int)Math.Ceiling(quantile * sorted.Length) - 1] * 1000, 2);
}
