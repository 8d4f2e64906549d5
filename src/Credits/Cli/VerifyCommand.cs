using System.CommandLine;
using Credits.Ledger.Storage;
using Credits.Reconciliation;
using Spectre.Console;

namespace Credits.Cli;

/// <summary><c>credits verify</c>: checks the ledger's invariants; exit code 1 on any drift.</summary>
public static class VerifyCommand
{
    public const int Drift = 1;
    public const int Refused = 2;

    public static Command Create()
    {
        var command = new Command("verify", $"""
            Check the ledger's invariants over the whole database and print every violation:
            {string.Join(Environment.NewLine, LedgerVerifier.Checks.Select(c => $"  {c.Name}: {c.Description}"))}
            Exit code 0: all hold; 1: drift found; 2: the database is not usable.

            Example: DATABASE_URL=postgres://credits:secret@localhost:5432/credits credits verify
            """);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var console = context.Console;
            await using var database = await OpenCurrentAsync(console, context.Parse.UnmatchedTokens, cancellationToken);
            if (database is null)
            {
                return Refused;
            }
            var results = await new LedgerVerifier(database).RunAsync(cancellationToken);

            var table = new Table().AddColumns("Check", "Result", "What must hold");
            foreach (var result in results)
            {
                table.AddRow(
                    new Text(result.Check.Name),
                    new Markup(result.Holds ? "[green]ok[/]" : $"[red]DRIFT ({Listed(result)})[/]"),
                    new Text(result.Check.Description));
            }
            console.Write(table);
            foreach (var result in results.Where(r => !r.Holds))
            {
                foreach (var problem in result.Problems.Take(LedgerVerifier.MaxListed))
                {
                    console.WriteLine($"{result.Check.Name}: {problem}");
                }
            }
            var failing = results.Count(r => !r.Holds);
            console.WriteLine(failing == 0
                ? $"{database.Settings.Describe()}: all {results.Count} checks hold."
                : $"{database.Settings.Describe()}: {failing} of {results.Count} checks found drift ({results.Sum(r => r.Problems.Count)} problems).");
            return failing == 0 ? 0 : Drift;
        });
        return command;
    }

    private static string Listed(LedgerCheckResult result) =>
        result.Problems.Count > LedgerVerifier.MaxListed ? $"more than {LedgerVerifier.MaxListed}" : result.Problems.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The database of the command line's settings, or null (after saying so) when its schema is
    /// missing or behind: the commands that read or repair the ledger never touch a half-made schema.
    /// </summary>
    internal static async Task<LedgerDatabase?> OpenCurrentAsync(IAnsiConsole console, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var options = CliConfiguration.Options(CliConfiguration.Load(arguments));
        var database = new LedgerDatabase(CreditsApp.DatabaseFrom(options));
        if (await database.IsSchemaCurrentAsync(cancellationToken))
        {
            return database;
        }
        console.MarkupLine($"[red]{Markup.Escape(database.Settings.Describe())}: the schema is missing or behind; run `credits migrate` first.[/]");
        await database.DisposeAsync();
        return null;
    }
}
