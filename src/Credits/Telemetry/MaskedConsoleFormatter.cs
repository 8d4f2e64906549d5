using System.Text;
using System.Text.RegularExpressions;
using Credits.Ledger;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Credits.Telemetry;

/// <summary>
/// One line per log entry, like the simple console formatter, with every email in the message
/// and the exception masked (<c>a•••@example.com</c>). Buyers' emails arrive in Stripe payloads,
/// outcome details and database errors; masking here, where every line passes, covers log lines
/// written long after this one as well.
/// </summary>
public sealed partial class MaskedConsoleFormatter(TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "credits";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }
        var line = new StringBuilder(message.Length + 80)
            .Append(time.GetLocalNow().ToString("yyyy-MM-ddTHH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture))
            .Append(Level(logEntry.LogLevel)).Append(": ")
            .Append(logEntry.Category).Append('[').Append(logEntry.EventId.Id).Append("] ")
            .Append(message);
        if (logEntry.Exception is { } exception)
        {
            line.Append(' ').Append(exception);
        }
        textWriter.Write(Mask(line.ToString()).ReplaceLineEndings(" "));
        textWriter.Write(Environment.NewLine);
    }

    /// <summary>Every email-shaped run of text replaced by its masked form.</summary>
    public static string Mask(string text) =>
        text.Contains('@', StringComparison.Ordinal) ? Email().Replace(text, m => AccountIds.MaskEmail(m.Value)) : text;

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    // Generous on purpose: anything that looks like local@domain.tld is masked, even if it is not a valid address.
    [GeneratedRegex("""[^\s@"'<>()\[\],;=]+@[^\s@"'<>()\[\],;=/]+\.[^\s@"'<>()\[\],;=/.]+""")]
    private static partial Regex Email();
}
