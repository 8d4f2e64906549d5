using System.Diagnostics.Metrics;

namespace Credits.Telemetry;

/// <summary>The instruments behind /metrics (OpenTelemetry, exported in Prometheus text format).</summary>
public sealed class CreditsMetrics
{
    public const string MeterName = "Credits";

    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _signatureFailures;
    private readonly Counter<long> _invalidEvents;
    private readonly Counter<long> _credits;
    private readonly Histogram<double> _webhookDuration;
    private readonly Counter<long> _oneStatementGrants;
    private readonly Counter<long> _webhookResponses;
    private readonly Counter<long> _webhookDeliveries;
    private readonly RecentLatency _recentLatency;

    public CreditsMetrics(IMeterFactory meterFactory, RecentLatency recentLatency)
    {
        _recentLatency = recentLatency;
        var meter = meterFactory.Create(MeterName);
        _webhookEvents = meter.CreateCounter<long>("credits.webhook.events", "{event}", "Webhook events processed, by event type and outcome status.");
        _signatureFailures = meter.CreateCounter<long>("credits.webhook.signature_failures", "{request}", "Webhook requests refused for their signature, by reason.");
        _invalidEvents = meter.CreateCounter<long>("credits.webhook.invalid_events", "{request}",
            "Correctly signed webhook bodies refused as not an event: not UTF-8, not valid Unicode, not JSON, not an event.");
        _credits = meter.CreateCounter<long>("credits.movements", "{credit}", "Credits moved, by direction (granted, reversed, spent).");
        _oneStatementGrants = meter.CreateCounter<long>("credits.webhook.one_statement_grants", "{event}",
            "Grants made by the one-statement path on PostgreSQL; every other event takes the per-statement path.");
        _webhookResponses = meter.CreateCounter<long>("credits.webhook.responses", "{response}",
            "Answers sent to webhook deliveries, by HTTP status code (5xx ones make Stripe retry).");
        _webhookDeliveries = meter.CreateCounter<long>("credits.webhook.deliveries", "{attempt}",
            "Outbound webhook attempts, by status: delivered, retrying (failed, tried again later) or failed (gave up after 3 days).");
        _webhookDuration = meter.CreateHistogram<double>("credits.webhook.duration", "s", "Time to verify, process and commit one webhook event.");
    }

    public void EventProcessed(string type, string status, double seconds)
    {
        _webhookEvents.Add(1, new("type", type), new("status", status));
        _webhookDuration.Record(seconds, new KeyValuePair<string, object?>("status", status));
        _recentLatency.Record(seconds);
    }

    /// <summary>Transactions and the work they carried: items ÷ transactions is the mean batch size, how much each commit is shared.</summary>
    public static void ObserveGroupCommit(IMeterFactory meterFactory, Ledger.Storage.GroupCommit groupCommit)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("credits.group_commit.transactions", () => groupCommit.Batches, "{transaction}",
            "Group-commit transactions committed (webhooks, spends and grants share them).");
        meter.CreateObservableCounter("credits.group_commit.items", () => groupCommit.Items, "{item}",
            "Webhooks, spends and grants committed through group commit.");
        meter.CreateObservableCounter("credits.group_commit.split_batches", () => groupCommit.SplitBatches, "{transaction}",
            "Group-commit transactions rolled back because an item failed, whose items then ran one by one.");
        meter.CreateObservableCounter("credits.group_commit.race_retries", () => groupCommit.RaceRetries, "{item}",
            "Items run again after losing a race with another process (deadlock, serialization failure, unique key taken first).");
    }

    public void WebhookAnswered(int statusCode) =>
        _webhookResponses.Add(1, new KeyValuePair<string, object?>("code", statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void WebhookDelivery(string status) => _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("status", status));

    public void OneStatementGrant() => _oneStatementGrants.Add(1);

    public void SignatureFailed(string reason) => _signatureFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void InvalidEvent(string reason) => _invalidEvents.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void CreditsMoved(string direction, long credits)
    {
        if (credits != 0)
        {
            _credits.Add(Math.Abs(credits), new KeyValuePair<string, object?>("direction", direction));
        }
    }
}
