using System.CommandLine;
using Credits.Configuration;
using Spectre.Console;

namespace Credits.Cli;

/// <summary>One command invocation: its parsed flags, its output (capturable by tests) and the settings it falls back on.</summary>
public sealed class CliContext(ParseResult parse)
{
    private IAnsiConsole? _console;
    private CreditsOptions? _options;

    public ParseResult Parse { get; } = parse;

    public TextWriter Out => Parse.InvocationConfiguration.Output;

    public TextWriter Error => Parse.InvocationConfiguration.Error;

    /// <summary>Spectre.Console over <see cref="Out"/>: colours on a terminal, plain text when redirected or captured.</summary>
    public IAnsiConsole Console => _console ??= CliConsole.Create(Parse);

    /// <summary>The environment and appsettings (CREDITS_API_KEY, CREDITS_DATA_DIR, STRIPE_WEBHOOK_SECRET); not validated, only read.</summary>
    public CreditsOptions Settings
    {
        get
        {
            if (_options is null)
            {
                _options = new CreditsOptions();
                CliConfiguration.Load([]).Bind(_options);
            }
            return _options;
        }
    }

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;
}