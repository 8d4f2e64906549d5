using System.CommandLine;

namespace Credits.Cli;

/// <summary><c>credits &lt;command&gt;</c>: one executable for the server and the operator tools.</summary>
public static class CreditsCommands
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Credits turns Stripe Checkout payments into prepaid credits, exactly once.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(ReconcileCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ExpireCommand.Create());
        root.Subcommands.Add(SendTestEventCommand.Create(TimeProvider.System));
        root.Subcommands.Add(SimulateCommand.Create(TimeProvider.System));
        root.Subcommands.Add(MonitorCommand.Create(TimeProvider.System));
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(PaymentsCommand.Create());
        root.Subcommands.Add(EventsCommand.Create());
        root.Subcommands.Add(WebhooksCommand.Create());
        return root;
    }
}
