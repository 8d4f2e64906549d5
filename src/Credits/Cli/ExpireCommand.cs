using System.CommandLine;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Spectre.Console;

namespace Credits.Cli;

/// <summary><c>credits expire</c>: books every lot past its expiry once (the server does it every minute too); safe to run from cron beside servers.</summary>
public static class ExpireCommand
{
    public static Command Create()
    {
        var command = new Command("expire", """
            Book what is left of every credit lot past its expiry as an 'expiry' ledger row, once per lot.
            Spends already ignore expired lots; this makes the ledger and balances say so. It also
            writes one credits.expiring_soon webhook message for each lot that expires within 7 days.
            Running it again, or beside servers doing the same every minute, writes nothing twice.
            Exit code 0: done; 2: the database is not usable.

            Example: DATABASE_URL=postgres://credits:secret@localhost:5432/credits credits expire
            """);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var console = context.Console;
            await using var database = await VerifyCommand.OpenCurrentAsync(console, context.Parse.UnmatchedTokens, cancellationToken);
            if (database is null)
            {
                return VerifyCommand.Refused;
            }
            var expiry = new LotExpiry(new CreditLedger(database, TimeProvider.System));
            long lots = 0, credits = 0, warned = 0;
            while (await expiry.SweepAsync(LotExpiryService.AccountsPerRound, cancellationToken) is var swept && swept.Lots + swept.Warned > 0)
            {
                lots += swept.Lots;
                credits += swept.Credits;
                warned += swept.Warned;
            }
            console.WriteLine($"{database.Settings.Describe()}: {lots} lots expired, {credits} credits booked as expired, {warned} lots warned about.");
            return 0;
        });
        return command;
    }
}
