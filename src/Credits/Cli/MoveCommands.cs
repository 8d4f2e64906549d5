using System.CommandLine;
using Credits.Configuration;
using Credits.Ledger;

namespace Credits.Cli;

/// <summary>
/// <c>credits payments reassign</c> and <c>credits users transfer</c>: moving credits that landed on
/// the wrong account, through the server's API, each with an Idempotency-Key (so a retried
/// command with the same <c>--idempotency-key</c> never moves twice).
/// </summary>
public static class MoveCommands
{
    public static Command Reassign()
    {
        var session = ApiCommand.Id("checkout-session-id", "The granted Checkout Session, e.g. cs_live_a1b2 (see `credits users show`).");
        var to = AccountOption("--to", "The account the purchase belongs to; it must exist.");
        var reason = ReasonOption();
        var key = KeyOption();
        return ApiCommand.Create("reassign", """
            Move a granted purchase to another account in one transaction: what is left of it leaves the
            old account (which may go negative) and reaches the new one; later refunds follow it.

            Example: credits payments reassign cs_live_a1b2 --to u_123 --reason "paid from a stale login"
            """, [session, to, reason, key],
            (context, client, ct) => client.PostAsync($"/api/payments/{ApiCommand.Path(context.Get(session))}/reassign",
                new { user_id = context.Get(to), reason = context.Get(reason) }, Key(context.Get(key)), ct),
            answer => [CliFormat.Record(answer)]);
    }

    public static Command Transfer()
    {
        var from = ApiCommand.Id("from-user-id", "The account the credits leave, e.g. u_a.");
        var to = ApiCommand.Id("to-user-id", "The account they reach, e.g. u_b.");
        var credits = new Argument<long>("credits") { Description = "Whole credits to move." };
        credits.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() is < 1 or > CreditLimits.MaxCredits)
            {
                r.AddError($"credits must be between 1 and {CreditLimits.MaxCredits}.");
            }
        });
        var reason = ReasonOption();
        var key = KeyOption();
        return ApiCommand.Create("transfer", """
            Move credits from one account to another in one transaction; refused (402) when the source's available balance is short.

            Example: credits users transfer u_a u_b 40 --reason "duplicate account merged"
            """, [from, to, credits, reason, key],
            (context, client, ct) => client.PostAsync($"/api/users/{ApiCommand.Path(context.Get(from))}/transfers",
                new { to_user_id = context.Get(to), credits = context.Get(credits), reason = context.Get(reason) }, Key(context.Get(key)), ct),
            answer => [CliFormat.Record(answer)]);
    }

    private static Option<string> AccountOption(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, Required = true };
        option.Validators.Add(r =>
        {
            if (!AccountIds.IsValid(r.GetValueOrDefault<string>()))
            {
                r.AddError($"{name} must be {AccountIds.Describe}.");
            }
        });
        return option;
    }

    private static Option<string> ReasonOption() =>
        new("--reason") { Description = "Why; kept in the ledger on both accounts.", Required = true };

    private static Option<string?> KeyOption() =>
        new("--idempotency-key") { Description = "Reuse a key to retry safely: the same key never moves twice (default: a new key each run)." };

    private static string Key(string? given) => string.IsNullOrWhiteSpace(given) ? $"cli-{Guid.NewGuid():N}" : given;
}
