using System.CommandLine;
using System.Text.Json;
using Credits.Stripe;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Credits.Cli;

/// <summary><c>credits events list|show|replay</c>: the stored webhook deliveries, their outcome and error.</summary>
public static class EventsCommand
{
    private static readonly string[] Statuses =
        [EventStatus.Granted, EventStatus.Duplicate, EventStatus.Pending, EventStatus.Reversed, EventStatus.Unmatched, EventStatus.Ignored, EventStatus.Failed];

    public static Command Create()
    {
        var command = new Command("events", """
            Stripe events the webhook stored, with what each did; replay one after fixing its cause.

            Examples:
              credits events list --status failed
              credits events show evt_1Q2w3E
              credits events replay evt_1Q2w3E
            """);
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Replay());
        return command;
    }

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = $"Only events with this outcome: {string.Join(", ", Statuses)}." };
        status.AcceptOnlyFromAmong(Statuses);
        var type = new Option<string?>("--type") { Description = "Only this event type, e.g. checkout.session.completed." };
        var limit = CliOptions.Limit(50);
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the previous page (printed under the table)." };
        return ApiCommand.Create("list", """
            Stored events, newest first.

            Examples:
              credits events list --status failed
              credits events list --type charge.refunded --limit 20
            """, [status, type, limit, cursor],
            (context, client, ct) => client.GetAsync("/api/events" + ApiCommand.Query(
                ("status", context.Get(status)), ("type", context.Get(type)), ("limit", context.Get(limit)), ("cursor", context.Get(cursor))), ct),
            answer =>
            [
                CliFormat.Table(answer.GetProperty("events"),
                    "id", "type", "status", "user_id", "credits_added", "object_id", "attempts", "received_at", "detail", "error"),
                UsersCommand.Count(answer.GetProperty("events"), "event"),
                .. NextPage(answer),
            ]);
    }

    private static Command Show()
    {
        var id = ApiCommand.Id("event-id", "The Stripe event id, e.g. evt_1Q2w3E.");
        return ApiCommand.Create("show", """
            One stored event: outcome, error, attempts and the payload Stripe sent.

            Example: credits events show evt_1Q2w3E
            """, [id],
            (context, client, ct) => client.GetAsync($"/api/events/{ApiCommand.Path(context.Get(id))}", ct),
            answer =>
            [
                CliFormat.Record(answer.TryGetProperty("event", out var summary) && summary.ValueKind == JsonValueKind.Object ? summary : answer,
                    "id", "type", "status", "user_id", "credits_added", "object_id", "detail", "error", "attempts", "livemode", "received_at", "processed_at"),
                new Rule("payload").LeftJustified(),
                new Text(answer.TryGetProperty("payload", out var payload) ? CliFormat.Pretty(payload) : "-"),
            ]);
    }

    private static Command Replay()
    {
        var id = ApiCommand.Id("event-id", "The stored event to process again, e.g. evt_1Q2w3E.");
        return ApiCommand.Create("replay", """
            Process a stored event again, as if Stripe redelivered it. Safe to repeat: an event already applied answers duplicate.

            Example: credits events replay evt_1Q2w3E
            """, [id],
            (context, client, ct) => client.PostAsync($"/api/events/{ApiCommand.Path(context.Get(id))}/replay", null, ct),
            answer => [CliFormat.Record(answer)]);
    }

    private static IEnumerable<IRenderable> NextPage(JsonElement answer)
    {
        if (answer.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String)
        {
            yield return new Text($"more: --cursor {next.GetString()}\n");
        }
    }
}
