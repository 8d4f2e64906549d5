namespace Credits.Webhooks;

/// <summary>
/// When a failed message is tried again: 5 s after the first attempt, doubling each time up to
/// 6 hours, each delay scaled by a random factor between 0.75 and 1.25 (jitter, so receivers that
/// come back are not hit by every message at once). A message whose next attempt would fall more
/// than 3 days after it was written gives up: null, and it is failed.
/// </summary>
public static class Backoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Longest = TimeSpan.FromHours(6);
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(3);

    /// <param name="attempts">Attempts made so far, counting the one that just failed (1 or more).</param>
    /// <param name="random">A number in [0, 1).</param>
    public static long? NextAttemptAt(long attempts, long createdAt, long now, double random)
    {
        var doublings = (int)Math.Min(Math.Max(attempts - 1, 0), 20);
        var delay = Math.Min(First.TotalMilliseconds * Math.Pow(2, doublings), Longest.TotalMilliseconds) * (0.75 + random / 2);
        var next = now + (long)delay;
        return next > createdAt + (long)GiveUpAfter.TotalMilliseconds ? null : next;
    }
}
