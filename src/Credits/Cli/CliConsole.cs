using System.CommandLine;
using Spectre.Console;

namespace Credits.Cli;

/// <summary>
/// A Spectre.Console over the invocation's output, so a command prints to the terminal when run
/// and to a captured writer when a test invokes it; colours and live rendering only on a terminal.
/// </summary>
public static class CliConsole
{
    public static IAnsiConsole Create(ParseResult parse)
    {
        var writer = parse.InvocationConfiguration.Output;
        var terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            // Piped or captured: never wrap an event id across lines; tables are only as wide as their content.
            console.Profile.Width = 400;
        }
        return console;
    }
}
