using System.CommandLine;
using Credits.Cli;

namespace Credits.Tests.Infrastructure;

/// <summary>Runs a `credits` command in-process, as the executable would, against a test database; returns its exit code and output.</summary>
public static class CliRunner
{
    public static async Task<(int ExitCode, string Output)> RunAsync(DatabaseFixture fixture, FakeStripe? stripe, params string[] args)
    {
        var settings = new Dictionary<string, string?> { ["DATABASE_URL"] = fixture.DatabaseUrl, ["CREDITS_DATA_DIR"] = fixture.DataDirectory };
        stripe?.Configure(settings);
        using var output = new StringWriter();
        var exitCode = await CreditsCommands.Create()
            .Parse([.. args, .. settings.Select(s => $"--{s.Key}={s.Value}")])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString());
    }
}
