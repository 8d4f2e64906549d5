using System.CommandLine;
using Credits.Cli;

namespace Credits.Tests.Infrastructure;

/// <summary>Runs a <c>credits</c> command in-process, exactly as the executable parses it, and captures what it prints.</summary>
public static class CliRun
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var exitCode = await CreditsCommands.Create().Parse(args).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = output }, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString());
    }
}
