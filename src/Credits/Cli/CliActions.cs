using System.CommandLine;

namespace Credits.Cli;

/// <summary>Runs a command's action and turns expected failures into one clear line and an exit code.</summary>
public static class CliActions
{
    public static void SetCliAction(this Command command, Func<CliContext, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CliContext(parse);
            try
            {
                return await action(context, cancellationToken);
            }
            catch (CliException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}");
                return e.ExitCode;
            }
        });
}
