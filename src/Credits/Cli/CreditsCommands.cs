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
        return root;
    }
}
