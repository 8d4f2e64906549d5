using System.CommandLine;
using System.Globalization;
using Credits.Ledger.Storage;
using Credits.Reconciliation;
using Credits.Stripe.Api;
using Spectre.Console;
using Stripe;

namespace Credits.Cli;

/// <summary><c>credits reconcile --since 72h [--apply]</c>: what Stripe sent that the ledger misses or disagrees with.</summary>
public static class ReconcileCommand
{
    public const int Drift = 1;
    public const int Refused = 2;

    public static Command Create()
    {
        var since = new Option<string>("--since")
        {
            Description = "How far back to look: 72h, 7d, 90m (at most 30d, as long as Stripe keeps events).",
            DefaultValueFactory = _ => "72h",
        };
        var apply = new Option<bool>("--apply") { Description = "Process the missing events through the webhook's own code." };
        var command = new Command("reconcile", """
            List Stripe's events of the types Credits handles for a window, compare them with what the database stored,
            and print what is missing or disagrees. With --apply, process the missing ones exactly as their webhooks
            would have been. Exit code 0: no drift left; 1: drift remains; 2: refused (bad window or no STRIPE_SECRET_KEY).

            Example: STRIPE_SECRET_KEY=sk_live_... credits reconcile --since 72h --apply
            """)
        {
            since,
            apply,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetCliAction((context, cancellationToken) =>
            RunAsync(context.Parse, context.Console, context.Parse.GetValue(since), context.Parse.GetValue(apply), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, IAnsiConsole console, string? since, bool apply, CancellationToken cancellationToken)
    {
        if (!Durations.TryParse(since, out var window) || window <= TimeSpan.Zero)
        {
            console.MarkupLine($"[red]--since '{Markup.Escape(since ?? "")}' is not a duration; use e.g. 72h, 7d or 90m.[/]");
            return Refused;
        }
        if (window > Reconciler.MaxWindow)
        {
            console.MarkupLine($"[red]--since {Markup.Escape(since!)} reaches past the 30 days Stripe keeps events; use at most 30d (720h).[/]");
            return Refused;
        }
        await using var services = CliServices.Build(parse.UnmatchedTokens);
        if (!services.GetRequiredService<IStripeApi>().IsConfigured)
        {
            console.MarkupLine("[red]STRIPE_SECRET_KEY is not set; reconcile reads Stripe's events with it.[/]");
            return Refused;
        }
        await SchemaMigrator.MigrateAsync(services.GetRequiredService<LedgerDatabase>().Settings, cancellationToken);
        var reconciler = services.GetRequiredService<Reconciler>();
        var from = services.GetRequiredService<TimeProvider>().GetUtcNow() - window;

        ReconcileReport report;
        var results = new Dictionary<string, string>();
        try
        {
            report = await console.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var reading = progress.AddTask("Reading Stripe events").IsIndeterminate();
                var found = await reconciler.FindAsync(from, new Counter(reading), cancellationToken);
                reading.IsIndeterminate(false).Value = reading.MaxValue;
                var toApply = apply ? found.Findings.Where(f => f.Applicable).ToList() : [];
                if (toApply.Count > 0)
                {
                    var applying = progress.AddTask("Applying missing events", maxValue: toApply.Count);
                    foreach (var finding in toApply)
                    {
                        results[finding.EventId] = await ApplyAsync(reconciler, finding, cancellationToken);
                        applying.Increment(1);
                    }
                }
                return found;
            });
        }
        catch (Exception e) when (e is StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine($"[red]Stripe's events could not be read: {Markup.Escape(e.Message)}[/]");
            return Drift;
        }

        if (report.Findings.Count > 0)
        {
            console.Write(Table(report, apply ? results : null));
        }
        var applied = results.Values.Count(r => !r.StartsWith("error", StringComparison.Ordinal));
        var remaining = report.Findings.Count - applied;
        var hint = !apply && report.Findings.Any(f => f.Applicable) ? " Run again with --apply to process the missing events." : "";
        console.WriteLine(
            $"Checked {report.Checked} Stripe events since {from:u} ({report.Pages} pages): " +
            $"{Count(report, ReconcileFinding.Missing)} missing, {Count(report, ReconcileFinding.Failed)} failed, " +
            $"{Count(report, ReconcileFinding.Disagrees)} disagreeing; {applied} applied; {remaining} drift remaining.{hint}");
        return remaining > 0 ? Drift : 0;
    }

    private static async Task<string> ApplyAsync(Reconciler reconciler, ReconcileFinding finding, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await reconciler.ApplyAsync(finding, cancellationToken);
            return outcome.CreditsAdded != 0 ? $"{outcome.Status} {outcome.CreditsAdded:+#;-#} for {outcome.UserId}" : outcome.Status;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One bad event must not stop the others; it stays drift and the run exits non-zero.
            return $"error: {e.GetType().Name}: {e.Message}";
        }
    }

    private static Table Table(ReconcileReport report, Dictionary<string, string>? results)
    {
        var table = new Table().AddColumns("Event", "Type", "Created (UTC)", "Object", "Finding");
        if (results is not null)
        {
            table.AddColumn("Applied");
        }
        foreach (var finding in report.Findings)
        {
            var created = finding.Created is { } seconds
                ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                : "";
            string[] cells = [finding.EventId, finding.Type, created, finding.ObjectId ?? "", $"{finding.Kind}: {finding.Detail}"];
            if (results is not null)
            {
                cells = [.. cells, results.GetValueOrDefault(finding.EventId) ?? "-"];
            }
            table.AddRow([.. cells.Select(c => new Text(c))]);
        }
        return table;
    }

    private static int Count(ReconcileReport report, string kind) => report.Findings.Count(f => f.Kind == kind);

    /// <summary>Advances the bar as each page arrives (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class Counter(ProgressTask task) : IProgress<int>
    {
        public void Report(int value)
        {
            task.MaxValue += value;
            task.Increment(value);
        }
    }
}
