using System.CommandLine;
using Credits.Configuration;
using Credits.Ledger;

namespace Credits.Cli;

/// <summary><c>credits payments unmatched|assign</c>: the operator queue of paid sessions no user or credit amount was found for.</summary>
public static class PaymentsCommand
{
    public static Command Create()
    {
        var command = new Command("payments", """
            The queue of paid Checkout Sessions parked as unmatched, and assigning them to a user.

            Examples:
              credits payments unmatched
              credits payments assign cs_test_a1b2 --user u_123
              credits payments reassign cs_test_a1b2 --to u_456 --reason "paid from a stale login"
            """);
        command.Subcommands.Add(Unmatched());
        command.Subcommands.Add(Assign());
        command.Subcommands.Add(MoveCommands.Reassign());
        return command;
    }

    private static Command Unmatched()
    {
        var limit = CliOptions.Limit(50);
        return ApiCommand.Create("unmatched", """
            Paid sessions waiting for an operator, oldest first, with the reason each was parked.

            Example: credits payments unmatched --limit 100
            """, [limit],
            (context, client, ct) => client.GetAsync($"/api/payments/unmatched{ApiCommand.Query(("limit", context.Get(limit)))}", ct),
            answer =>
            [
                CliFormat.Table(answer.GetProperty("payments"),
                    "checkout_session_id", "amount_total", "currency", "email", "customer_id", "user_id", "credits", "reason_code", "reason", "created_at"),
                UsersCommand.Count(answer.GetProperty("payments"), "unmatched payment"),
            ]);
    }

    private static Command Assign()
    {
        var session = ApiCommand.Id("checkout-session-id", "The parked Checkout Session, e.g. cs_live_a1b2 (see `credits payments unmatched`).");
        var user = new Option<string>("--user") { Description = "The account that paid; created if it does not exist.", Required = true };
        user.Validators.Add(r =>
        {
            if (!AccountIds.IsValid(r.GetValueOrDefault<string>()))
            {
                r.AddError($"--user must be {AccountIds.Describe}.");
            }
        });
        var credits = new Option<long?>("--credits") { Description = "Credits to grant, when the payment had no credit amount (no metadata.credits, no matching pack)." };
        credits.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is { } value && value is < 1 or > CreditLimits.MaxCredits)
            {
                r.AddError($"--credits must be between 1 and {CreditLimits.MaxCredits}; got {value}.");
            }
        });
        return ApiCommand.Create("assign", """
            Grant a parked payment to a user, through the same idempotent path as the webhook: assigning twice grants once.

            Example: credits payments assign cs_live_a1b2 --user u_123 --credits 50
            """, [session, user, credits],
            (context, client, ct) => client.PostAsync($"/api/payments/{ApiCommand.Path(context.Get(session))}/assign",
                new { user_id = context.Get(user), credits = context.Get(credits) }, ct),
            answer => [CliFormat.Record(answer)]);
    }
}
