using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Credits.Cli;

/// <summary><c>credits users show|list</c> over the server's /api/users.</summary>
public static class UsersCommand
{
    public static Command Create()
    {
        var command = new Command("users", """
            Accounts and their balances, through the server's API.

            Examples:
              credits users show u_123
              credits users list --limit 20
              credits users transfer u_a u_b 40 --reason "duplicate account merged"
            """);
        command.Subcommands.Add(Show());
        command.Subcommands.Add(List());
        command.Subcommands.Add(MoveCommands.Transfer());
        return command;
    }

    private static Command Show()
    {
        var id = ApiCommand.Id("user-id", "The account id, e.g. u_123.");
        var entries = CliOptions.Range("--entries", "How many ledger entries to show, newest first (1-200).", 10, 1, 200);
        return ApiCommand.Create("show", """
            One account: email, balance and its latest ledger entries.

            Example: credits users show u_123 --entries 20
            """, [id, entries],
            async (context, client, ct) =>
            {
                var path = $"/api/users/{ApiCommand.Path(context.Get(id))}";
                var user = await client.GetAsync(path, ct);
                var ledger = await client.GetAsync($"{path}/ledger{ApiCommand.Query(("limit", context.Get(entries)))}", ct);
                return JsonSerializer.SerializeToElement(new { user, ledger });
            },
            answer =>
            [
                CliFormat.Record(answer.GetProperty("user"), "id", "email", "balance", "created_at", "updated_at"),
                CliFormat.Table(answer.GetProperty("ledger").GetProperty("entries"), "id", "amount", "kind", "source_kind", "source_id", "reason", "created_at")
                    .Title("ledger, newest first"),
            ]);
    }

    private static Command List()
    {
        var limit = CliOptions.Limit(50);
        var email = new Option<string?>("--email") { Description = "Only the accounts with this email." };
        return ApiCommand.Create("list", """
            Accounts, newest first.

            Example: credits users list --limit 20
            """, [limit, email],
            (context, client, ct) => client.GetAsync($"/api/users{ApiCommand.Query(("limit", context.Get(limit)), ("email", context.Get(email)))}", ct),
            answer => [CliFormat.Table(answer.GetProperty("users"), "id", "email", "balance", "created_at", "updated_at"), Count(answer.GetProperty("users"), "user")]);
    }

    public static IRenderable Count(JsonElement rows, string noun)
    {
        var n = rows.ValueKind == JsonValueKind.Array ? rows.GetArrayLength() : 0;
        return new Markup($"[grey]{n} {noun}{(n == 1 ? "" : "s")}[/]\n");
    }
}
