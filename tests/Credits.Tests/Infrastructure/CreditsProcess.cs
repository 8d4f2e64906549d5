using System.Diagnostics;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// Runs the real executable (<c>dotnet credits.dll ...</c>) to completion with a chosen environment,
/// for what only a process shows: its exit code, what it prints on stdout and stderr.
/// Secrets and database settings of the test process are never inherited; pass what the case needs.
/// </summary>
public static class CreditsProcess
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(CreditsDll.Path);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var name in new[] { "DATABASE_URL", "STRIPE_WEBHOOK_SECRET", "CREDITS_API_KEY", "CREDITS_LIVEMODE", "CREDITS_DATA_DIR" })
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment)
        {
            if (value is not null)
            {
                info.Environment[name] = value;
            }
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return new Result(-1, await output, await error + "\n(killed: still running after 60 s)");
        }
        return new Result(process.ExitCode, await output, await error);
    }
}
