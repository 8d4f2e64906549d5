using System.CommandLine;
using Credits.Ledger.Webhooks;

namespace Credits.Cli;

/// <summary><c>credits webhooks list|deliveries|retry|test</c>: the outbound webhook endpoints and what was sent to them.</summary>
public static class WebhooksCommand
{
    public static Command Create()
    {
        var command = new Command("webhooks", """
            Outbound webhooks: where Credits sends them, what was sent, and sending again.

            Examples:
              credits webhooks list
              credits webhooks deliveries --status failed
              credits webhooks retry msg_0193…_ep_1f2e…
              credits webhooks test ep_config
            """);
        command.Subcommands.Add(List());
        command.Subcommands.Add(Deliveries());
        command.Subcommands.Add(Retry());
        command.Subcommands.Add(Test());
        return command;
    }

    private static Command List() =>
        ApiCommand.Create("list", """
            The endpoints, enabled or not (a 410 answer disables one), without their secrets.

            Example: credits webhooks list
            """, [],
            (context, client, ct) => client.GetAsync("/api/webhook-endpoints", ct),
            answer =>
            [
                CliFormat.Table(answer.GetProperty("endpoints"), "id", "url", "event_types", "low_balance_threshold", "enabled", "disabled_reason", "created_at"),
                UsersCommand.Count(answer.GetProperty("endpoints"), "endpoint"),
            ]);

    private static Command Deliveries()
    {
        var status = new Option<string?>("--status") { Description = $"Only messages in this state: {string.Join(", ", MessageStatus.All)}." };
        status.AcceptOnlyFromAmong(MessageStatus.All);
        var endpoint = new Option<string?>("--endpoint") { Description = "Only messages to this endpoint id." };
        var limit = CliOptions.Limit(50);
        return ApiCommand.Create("deliveries", """
            Messages, newest first, with attempts, the last status code and error.

            Examples:
              credits webhooks deliveries --status failed
              credits webhooks deliveries --endpoint ep_config --limit 20
            """, [status, endpoint, limit],
            (context, client, ct) => client.GetAsync("/api/webhook-deliveries" + ApiCommand.Query(
                ("status", context.Get(status)), ("endpoint", context.Get(endpoint)), ("limit", context.Get(limit))), ct),
            answer =>
            [
                CliFormat.Table(answer.GetProperty("deliveries"),
                    "id", "type", "user_id", "status", "attempts", "last_status_code", "last_error", "created_at", "next_attempt_at"),
                UsersCommand.Count(answer.GetProperty("deliveries"), "message"),
            ]);
    }

    private static Command Retry()
    {
        var id = ApiCommand.Id("message-id", "The message to send again now (its webhook-id stays the same).");
        return ApiCommand.Create("retry", """
            Send a message again now, whatever its state; the receiver can deduplicate it by webhook-id.

            Example: credits webhooks retry msg_0193…_ep_1f2e…
            """, [id],
            (context, client, ct) => client.PostAsync($"/api/webhook-deliveries/{ApiCommand.Path(context.Get(id))}/retry", null, ct),
            answer => [CliFormat.Record(answer, "id", "endpoint_id", "type", "status", "attempts", "last_status_code", "last_error")]);
    }

    private static Command Test()
    {
        var id = ApiCommand.Id("endpoint-id", "The endpoint to send a signed ping to, e.g. ep_config.");
        return ApiCommand.Create("test", """
            Queue a signed "ping" message to one endpoint; `credits webhooks deliveries --endpoint <id>` shows how it went.

            Example: credits webhooks test ep_config
            """, [id],
            (context, client, ct) => client.PostAsync($"/api/webhook-endpoints/{ApiCommand.Path(context.Get(id))}/test", null, ct),
            answer => [CliFormat.Record(answer, "message_id", "endpoint_id")]);
    }
}
