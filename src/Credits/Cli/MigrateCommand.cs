using System.CommandLine;
using System.Data.Common;
using Credits.Ledger.Storage;

namespace Credits.Cli;

public static class MigrateCommand
{
    public static Command Create()
    {
        var command = new Command("migrate", """
            Create or upgrade the database schema, then exit. The server also does this at start-up.

            Example: DATABASE_URL=postgres://credits:secret@localhost:5432/credits credits migrate
            """);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var options = CliConfiguration.Options(CliConfiguration.Load(context.Parse.UnmatchedTokens));
            var settings = CreditsApp.MigrationDatabaseFrom(options);
            IReadOnlyList<string> applied;
            try
            {
                applied = await SchemaMigrator.MigrateAsync(settings, cancellationToken);
            }
            catch (DbException e)
            {
                throw new CliException($"{settings.Describe()}: {e.Message.TrimEnd('.')}; check DATABASE_URL (docs/database.md).");
            }
            await context.Out.WriteLineAsync(applied.Count == 0
                ? $"{settings.Describe()}: schema already current."
                : $"{settings.Describe()}: applied {string.Join(", ", applied)}.");
            return 0;
        });
        return command;
    }
}
