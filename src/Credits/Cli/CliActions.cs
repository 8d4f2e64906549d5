using System.CommandLine;
using Credits.Configuration;
using Microsoft.Extensions.Options;

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
            catch (Exception e) when (RefusedSetting(e) is { } sentence)
            {
                // One sentence, no stack trace: the operator has a setting or a file to fix.
                await context.Error.WriteLineAsync($"error: {sentence}");
                return CliException.Usage;
            }
        });

    /// <summary>The sentence of a refused setting or secret file, wherever the host wrapped it; null for anything else.</summary>
    private static string? RefusedSetting(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SettingsException settings:
                    return settings.Message;
                case OptionsValidationException options:
                    return string.Join(" ", options.Failures);
            }
        }
        return null;
    }
}
