using System.CommandLine;
using Spectre.Console;

namespace Credits.Cli;

/// <summary><c>credits simulate</c>: the webhook scenario suite against a running server, as a pass/fail table.</summary>
public static class SimulateCommand
{
    public static Command Create(TimeProvider time)
    {
        var url = CliOptions.WebhookUrl();
        var secret = CliOptions.Secret();
        var command = new Command("simulate", """
            Run webhook scenarios against a running server and print a pass/fail table: valid grant, duplicate delivery,
            bad signature, stale timestamp, unknown user parked, delayed payment, refund. Exit code 0 when all pass, 1 otherwise.
            Each run uses fresh test user ids (sim_<time>_<random>_grant, ..._delayed) and parks one unmatched test payment
            (email sim_...@example.invalid); the ids are printed. Sends only test-mode (livemode false) events.

            Examples:
              credits simulate
              credits simulate --url https://credits.example.com/webhooks/stripe --secret whsec_...
            """)
        {
            url, secret,
        };
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var target = context.Get(url);
            var signingSecret = CliOptions.ResolveSecret(context, secret);
            using var client = new ServerClient(target);
            var simulation = new Simulation(client, target, signingSecret, time);
            var console = context.Console;
            console.MarkupLine($"Simulating against [bold]{Markup.Escape(target.ToString())}[/]");
            console.MarkupLine($"Test users: [bold]{simulation.GrantUser}[/], [bold]{simulation.DelayedUser}[/]; parked payment email {simulation.UnknownEmail}");

            var results = await simulation.RunAsync(cancellationToken);

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("scenario").AddColumn("result").AddColumn("expected").AddColumn("got");
            foreach (var result in results)
            {
                table.AddRow(
                    new Text(result.Name),
                    new Markup(result.Passed ? "[green]PASS[/]" : "[red]FAIL[/]"),
                    new Text(result.Expected),
                    new Text(result.Got));
            }
            console.Write(table);
            var failed = results.Count(r => !r.Passed);
            console.MarkupLine(failed == 0
                ? $"[green]{results.Count} passed, 0 failed[/]"
                : $"[red]{results.Count - failed} passed, {failed} failed[/]: {Markup.Escape(string.Join(", ", results.Where(r => !r.Passed).Select(r => r.Name)))}");
            return failed == 0 ? 0 : CliException.Failed;
        });
        return command;
    }
}
