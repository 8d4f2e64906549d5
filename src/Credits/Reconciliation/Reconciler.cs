using System.Text;
using Credits.Ledger.Storage;
using Credits.Stripe;
using Credits.Stripe.Api;
using Dapper;

namespace Credits.Reconciliation;

/// <summary>
/// Recovers webhooks that never arrived from Stripe's own record (GET /v1/events keeps 30 days):
/// compares each event with what we stored, and applies the missing ones through the webhook's
/// own <see cref="EventProcessor"/>, so a recovered event converges with everything else on the
/// same unique keys. Every Stripe page is read before any transaction opens.
/// </summary>
public sealed class Reconciler(IStripeApi stripe, EventProcessor processor, LedgerDatabase database)
{
    /// <summary>Stripe lists events for 30 days; an older window would silently miss some.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(30);

    /// <summary>The event types listed from Stripe: those <see cref="HandledEvents"/> marks as reconciled.</summary>
    public static IReadOnlyList<string> EventTypes => HandledEvents.ReconciledTypes;

    private static readonly string[] PaidStatuses = ["paid", "no_payment_required"];

    /// <summary>Lists every event of <see cref="EventTypes"/> since <paramref name="from"/> and compares it with the database; oldest first.</summary>
    public async Task<ReconcileReport> FindAsync(DateTimeOffset from, IProgress<int>? pageRead, CancellationToken cancellationToken)
    {
        var findings = new List<ReconcileFinding>();
        var (checkedCount, pages) = (0, 0);
        string? after = null;
        do
        {
            var page = await stripe.ListEventsAsync(EventTypes, from, after, cancellationToken);
            pages++;
            checkedCount += page.Events.Count;
            findings.AddRange(await CompareAsync(page.Events, cancellationToken));
            pageRead?.Report(page.Events.Count);
            after = page.HasMore ? page.LastId : null;
        }
        while (after is not null);
        // Stripe lists newest first; findings (and --apply) go oldest first, the order Stripe sent them.
        findings.Reverse();
        return new ReconcileReport(checkedCount, pages, findings);
    }

    /// <summary>Processes one missing or failed event exactly as if its webhook had arrived now.</summary>
    public async Task<EventOutcome> ApplyAsync(ReconcileFinding finding, CancellationToken cancellationToken)
    {
        using var evt = StripeEvent.TryParse(Encoding.UTF8.GetBytes(finding.Json), out var error)
            ?? throw new InvalidOperationException($"Stripe listed {finding.EventId} but it cannot be read as an event: {error}");
        return await processor.ProcessAsync(evt, cancellationToken);
    }

    private async Task<IReadOnlyList<ReconcileFinding>> CompareAsync(IReadOnlyList<string> page, CancellationToken cancellationToken)
    {
        var events = new List<(string Json, StripeEvent Event)>();
        try
        {
            foreach (var json in page)
            {
                if (StripeEvent.TryParse(Encoding.UTF8.GetBytes(json), out _) is { } evt)
                {
                    events.Add((json, evt));
                }
            }
            var ids = events.Select(e => e.Event.Id).ToArray();
            var sessions = events.Select(e => e.Event.ObjectId).OfType<string>().Distinct().ToArray();
            var (stored, payments) = await database.ReadAsync(async connection =>
            {
                var storedRows = await connection.QueryAsync<StoredRow>(new CommandDefinition(
                    $"SELECT id, status FROM webhook_events WHERE id {OneOf("ids")}", new { ids }, cancellationToken: cancellationToken));
                var paymentRows = await connection.QueryAsync<PaymentRow>(new CommandDefinition(
                    $"""
                    SELECT p.session_id, p.status, p.credits, e.amount AS granted
                    FROM checkout_payments p
                    LEFT JOIN ledger_entries e ON e.source_kind = @kind AND e.source_id = p.session_id
                    WHERE p.session_id {OneOf("sessions")}
                    """,
                    new { sessions, kind = CheckoutFulfillment.SourceKind }, cancellationToken: cancellationToken));
                return (storedRows.ToDictionary(r => r.Id), paymentRows.ToDictionary(r => r.SessionId));
            }, cancellationToken);

            var findings = new List<ReconcileFinding>();
            foreach (var (json, evt) in events)
            {
                var (kind, detail) = stored.TryGetValue(evt.Id, out var row)
                    ? row.Status == EventStatus.Failed
                        ? (ReconcileFinding.Failed, "stored, but its processing failed and never finished")
                        : Disagreement(evt, row, payments)
                    : (ReconcileFinding.Missing, "Stripe sent it, Credits never stored it");
                if (kind is not null)
                {
                    findings.Add(new ReconcileFinding(evt.Id, evt.Type, evt.Created, evt.ObjectId, kind, detail!, json));
                }
            }
            return findings;
        }
        finally
        {
            foreach (var (_, evt) in events)
            {
                evt.Dispose();
            }
        }
    }

    /// <summary>Dapper expands a list for SQLite; Npgsql binds it as one array parameter.</summary>
    private string OneOf(string parameter) => database.Provider == DatabaseProvider.Postgres ? $"= ANY(@{parameter})" : $"IN @{parameter}";

    /// <summary>A paid session must have ended granted with exactly its credits in the ledger (or be parked for an operator).</summary>
    private static (string? Kind, string? Detail) Disagreement(StripeEvent evt, StoredRow row, Dictionary<string, PaymentRow> payments)
    {
        if (row.Status == EventStatus.Ignored
            || !HandledEvents.GrantsPurchase(evt.Type)
            || CheckoutSession.From(evt.Object) is not { Mode: "payment" } session
            || !PaidStatuses.Contains(session.PaymentStatus))
        {
            return (null, null);
        }
        if (!payments.TryGetValue(session.Id, out var payment))
        {
            return (ReconcileFinding.Disagrees, $"Stripe says {session.Id} is {session.PaymentStatus}; Credits has no record of the session");
        }
        return payment.Status switch
        {
            PaymentStatus.Unmatched => (null, null),
            PaymentStatus.Granted when payment.Granted == payment.Credits => (null, null),
            PaymentStatus.Granted => (ReconcileFinding.Disagrees,
                $"session {session.Id} is granted {payment.Credits} credits but the ledger holds {payment.Granted?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no grant"}"),
            var status => (ReconcileFinding.Disagrees, $"Stripe says {session.Id} is {session.PaymentStatus}; Credits has it {status}"),
        };
    }

    private sealed record StoredRow
    {
        public string Id { get; init; } = "";
        public string Status { get; init; } = "";
    }

    private sealed record PaymentRow
    {
        public string SessionId { get; init; } = "";
        public string Status { get; init; } = "";
        public long? Credits { get; init; }
        public long? Granted { get; init; }
    }
}
