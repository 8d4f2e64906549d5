using Credits.Api;
using Credits.Stripe;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Credits.Cli;

/// <summary>One frame of <c>credits monitor</c>, drawn from a <see cref="StatsResponse"/>.</summary>
public static class MonitorView
{
    public const int MinutesShown = 10;

    private static readonly string[] Statuses =
        [EventStatus.Granted, EventStatus.Duplicate, EventStatus.Pending, EventStatus.Unmatched, EventStatus.Reversed, EventStatus.Ignored, EventStatus.Failed];

    public static IRenderable Render(StatsResponse stats, string source) => new Rows(
        new Rule($"[bold]Credits monitor[/] · {Markup.Escape(source)} · {CliFormat.Time(stats.GeneratedAt)}").LeftJustified(),
        Summary(stats),
        new Text(""),
        PerMinute(stats),
        new Text(""),
        Latest(stats));

    public static IRenderable Failure(string message, string source, DateTimeOffset at) => new Rows(
        new Rule($"[bold]Credits monitor[/] · {Markup.Escape(source)} · {CliFormat.Time(at)}").LeftJustified(),
        new Markup($"[red]{Markup.Escape(message)}[/] (retrying)"));

    private static Grid Summary(StatsResponse stats)
    {
        var grid = new Grid();
        for (var i = 0; i < 6; i++)
        {
            grid.AddColumn(new GridColumn().PadRight(4));
        }
        grid.AddRow(
            new Markup("[bold]credits granted[/]"), new Markup("[bold]reversed[/]"), new Markup("[bold]spent[/]"),
            new Markup("[bold]unmatched waiting[/]"), new Markup("[bold]failed events[/]"), new Markup("[bold]latency p50 / p95 / max[/]"));
        var latency = stats.Latency.Count == 0
            ? "no events yet"
            : $"{stats.Latency.P50Ms:0.#} / {stats.Latency.P95Ms:0.#} / {stats.Latency.MaxMs:0.#} ms (last {stats.Latency.Count})";
        grid.AddRow(
            new Markup($"[green]{stats.Credits.Granted}[/]"),
            new Text(stats.Credits.Reversed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Text(stats.Credits.Spent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Markup(Waiting(stats.UnmatchedWaiting, stats.OldestUnmatchedAt, stats.GeneratedAt, "yellow")),
            new Markup(Waiting(stats.FailedEvents, stats.OldestFailedAt, stats.GeneratedAt, "red")),
            new Text(latency));
        return grid;
    }

    private static Table PerMinute(StatsResponse stats)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"events per minute by status (last {MinutesShown} of {stats.WindowMinutes} min)");
        table.AddColumn("minute");
        foreach (var status in Statuses)
        {
            table.AddColumn(new TableColumn(Colour(status, status)).RightAligned());
        }
        table.AddColumn(new TableColumn("total").RightAligned());
        foreach (var minute in stats.EventsPerMinute.TakeLast(MinutesShown).Reverse())
        {
            table.AddRow([
                new Text(minute.Start.UtcDateTime.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)),
                .. Statuses.Select(s => Count(minute.Counts, s)),
                new Text(minute.Counts.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
        }
        var hour = Statuses.ToDictionary(s => s, s => stats.EventsPerMinute.Sum(m => m.Counts.GetValueOrDefault(s)));
        table.AddRow([new Markup("[bold]last hour[/]"), .. Statuses.Select(s => Count(hour, s)), new Text(hour.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return table;
    }

    private static Table Latest(StatsResponse stats)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"latest {stats.LatestEvents.Count} events")
            .AddColumn("received").AddColumn("event").AddColumn("type").AddColumn("status").AddColumn("user")
            .AddColumn(new TableColumn("credits").RightAligned()).AddColumn("detail");
        foreach (var e in stats.LatestEvents)
        {
            table.AddRow(
                new Text(e.ReceivedAt.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)),
                new Text(e.Id),
                new Text(e.Type),
                new Markup(Colour(e.Status, e.Status)),
                new Text(e.UserId ?? "-"),
                new Text(e.CreditsAdded.ToString("+#;-#;0", System.Globalization.CultureInfo.InvariantCulture)),
                new Text(Shorten(e.Error ?? e.Detail ?? "", 60)));
        }
        return table;
    }

    private static Text Count(IReadOnlyDictionary<string, long> counts, string status) =>
        new(counts.GetValueOrDefault(status) is var n and > 0 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "·");

    private static string Waiting(long count, DateTimeOffset? oldest, DateTimeOffset now, string colour) =>
        count == 0 ? "0" : $"[{colour}]{count}[/] (oldest {Age(now - oldest!.Value)})";

    private static string Age(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{age.TotalDays:0.#} d" : age.TotalHours >= 1 ? $"{age.TotalHours:0.#} h" : age.TotalMinutes >= 1 ? $"{age.TotalMinutes:0} min" : $"{Math.Max(0, age.TotalSeconds):0} s";

    private static string Colour(string status, string text) => status switch
    {
        EventStatus.Granted => $"[green]{text}[/]",
        EventStatus.Pending => $"[yellow]{text}[/]",
        EventStatus.Unmatched => $"[darkorange]{text}[/]",
        EventStatus.Reversed => $"[blue]{text}[/]",
        EventStatus.Failed => $"[red]{text}[/]",
        EventStatus.Ignored or EventStatus.Duplicate => $"[grey]{text}[/]",
        _ => Markup.Escape(text),
    };

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
