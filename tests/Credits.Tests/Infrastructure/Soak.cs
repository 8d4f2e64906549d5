namespace Credits.Tests.Infrastructure;

/// <summary>CREDITS_SOAK=1 runs the reliability suites at many times their CI size.</summary>
public static class Soak
{
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("CREDITS_SOAK") is "1" or "true";

    public static int Size(int normal, int soak) => Enabled ? soak : normal;
}
