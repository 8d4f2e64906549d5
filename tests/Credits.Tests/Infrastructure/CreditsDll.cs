using System.Reflection;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// Finds the built server (src/Credits/bin/&lt;Configuration&gt;/net10.0/credits.dll) from the test
/// assembly: walk up to the repository root, prefer the configuration the tests were built in.
/// </summary>
public static class CreditsDll
{
    private static readonly Lazy<string> Located = new(Locate);

    public static string Path => Located.Value;

    private static string Locate()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(System.IO.Path.Combine(root.FullName, "Credits.slnx")))
        {
            root = root.Parent;
        }
        if (root is null)
        {
            throw new InvalidOperationException(
                $"Cannot find the repository root (a folder with Credits.slnx) above {AppContext.BaseDirectory}; the real-process tests need src/Credits/bin/<Configuration>/net10.0/credits.dll.");
        }
        var configuration = typeof(CreditsDll).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var candidates = new[] { configuration, "Release", "Debug" }
            .Distinct(StringComparer.Ordinal)
            .Select(c => System.IO.Path.Combine(root.FullName, "src", "Credits", "bin", c, "net10.0", "credits.dll"))
            .ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"credits.dll is not built; looked for {string.Join(", ", candidates)}. Build it first: dotnet build Credits.slnx -c {configuration} (./test.sh does).");
    }
}
