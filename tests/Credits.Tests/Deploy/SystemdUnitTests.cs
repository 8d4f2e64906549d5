using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Deploy;

/// <summary>deploy/systemd: the unit a plain VM runs and the environment file it reads.</summary>
public sealed partial class SystemdUnitTests
{
    // What the server allows requests in flight on SIGTERM unless CREDITS_SHUTDOWN_SECONDS says otherwise.
    private const int DefaultShutdownSeconds = 25;

    private const string UnitPath = "deploy/systemd/credits.service";
    private const string EnvironmentPath = "deploy/systemd/credits.env.example";

    [Fact]
    public void Unit_runs_serve_as_its_own_user_from_the_environment_file_and_restarts_on_failure()
    {
        var service = Section("Service");

        Assert.Equal("credits", service["User"].Single());
        Assert.Equal("/etc/credits/credits.env", service["EnvironmentFile"].Single());
        Assert.Equal("on-failure", service["Restart"].Single());
        Assert.Matches(@"^/usr/bin/dotnet /opt/credits/credits\.dll serve --urls http://127\.0\.0\.1:\d+$", service["ExecStart"].Single());
        Assert.Contains(service["ExecStartPre"], line => line.EndsWith("credits.dll migrate", StringComparison.Ordinal));
        Assert.Equal("credits", service["StateDirectory"].Single());
        Assert.Equal("/var/lib/credits", Variables()["CREDITS_DATA_DIR"]);
    }

    [Fact]
    public void Stop_timeout_outlasts_the_servers_own_shutdown_budget()
    {
        var service = Section("Service");
        var stop = int.Parse(Regex.Match(service["TimeoutStopSec"].Single(), @"^(\d+)s?$").Groups[1].Value, CultureInfo.InvariantCulture);
        var commented = Regex.Match(RepositoryRoot.Read(EnvironmentPath), @"CREDITS_SHUTDOWN_SECONDS=(\d+)");
        var shutdown = commented.Success ? int.Parse(commented.Groups[1].Value, CultureInfo.InvariantCulture) : DefaultShutdownSeconds;

        Assert.Equal("SIGTERM", service["KillSignal"].Single());
        Assert.True(stop >= shutdown + 5, $"TimeoutStopSec {stop} s leaves no margin over the {shutdown} s the server takes to drain");
    }

    [Fact]
    public void Unit_is_hardened_and_leaves_the_JIT_working()
    {
        var service = Section("Service");
        foreach (var (key, value) in new[] { ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("UMask", "0077") })
        {
            Assert.Equal(value, service[key].Single());
        }
        Assert.Equal("", service["CapabilityBoundingSet"].Single());
        Assert.False(service.ContainsKey("MemoryDenyWriteExecute"), ".NET's JIT needs writable-then-executable memory");
    }

    [Fact]
    public async Task systemd_accepts_the_unit_and_rates_its_exposure_low()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is not installed here; the unit's syntax is not checked by systemd");
        var verify = await RunAsync("verify", RepositoryRoot.File(UnitPath));
        Assert.True(verify.ExitCode == 0 && verify.Error.Trim().Length == 0, $"systemd-analyze verify: {verify.Error}");

        var security = await RunAsync("security", "--offline=yes", "--no-pager", RepositoryRoot.File(UnitPath));
        var level = Regex.Match(security.Output + security.Error, @"Overall exposure level for credits\.service: (\d+\.\d)");
        Assert.True(level.Success, security.Output + security.Error);
        Assert.True(double.Parse(level.Groups[1].Value, CultureInfo.InvariantCulture) <= 3.5, level.Value);
    }

    [Fact]
    public void Environment_file_sets_only_documented_variables_and_no_real_secret()
    {
        var readme = RepositoryRoot.Read("README.md");
        var variables = Variables();

        Assert.All(variables.Keys, key => Assert.Contains($"| `{key}` |", readme));
        Assert.Contains("DATABASE_URL", variables.Keys);
        Assert.Contains("replace", variables["STRIPE_WEBHOOK_SECRET"], StringComparison.Ordinal);
        Assert.Contains("replace", variables["CREDITS_API_KEY"], StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Variables() =>
        RepositoryRoot.Read(EnvironmentPath).Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>One [Section] of the unit: each key with every value it is given (systemd keys may repeat).</summary>
    private static Dictionary<string, List<string>> Section(string name)
    {
        var section = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var current = "";
        foreach (var raw in RepositoryRoot.Read(UnitPath).Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = line[1..^1];
            }
            else if (current == name && line.Length > 0 && !line.StartsWith('#') && line.IndexOf('=') is > 0 and var eq)
            {
                (section.TryGetValue(line[..eq], out var values) ? values : section[line[..eq]] = []).Add(line[(eq + 1)..]);
            }
        }
        return section;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("systemd-analyze", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, error);
    }
}
