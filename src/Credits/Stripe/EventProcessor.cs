using Credits.Configuration;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Webhooks;
using Credits.Stripe.Api;
using Credits.Telemetry;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>
/// Turns one verified Stripe event into its business effect, in one transaction with the stored
/// event. Redeliveries and sibling events converge through the unique keys on the event id and
/// the Checkout Session id; nothing here checks first and inserts second.
/// </summary>
public sealed partial class EventProcessor(
    CreditLedger ledger, GroupCommit groupCommit, CheckoutFulfillment checkout, PaymentReversals reversals, LineItemLookup lineItemLookup,
    IOptions<CreditsOptions> options, CreditsMetrics metrics, ILogger<EventProcessor> logger)
{
    private readonly EventEffects effects = new(checkout, reversals);

    public async Task<EventOutcome> ProcessAsync(StripeEvent evt, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        // Stripe calls happen before the transaction, never while it holds the write lock.
        var lineItems = await lineItemLookup.ForEventAsync(evt, cancellationToken);
        // Answered only after the shared transaction commits (group commit).
        var outcome = await groupCommit.RunAsync(Keys(evt), (tx, token) => ClaimAndApplyAsync(tx, evt, lineItems, token), cancellationToken)
            ?? await DuplicateAsync(evt.Id, cancellationToken);

        metrics.EventProcessed(evt.Type, outcome.Status, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
        if (outcome.OneStatement)
        {
            metrics.OneStatementGrant();
        }
        Report(evt, outcome);
        return outcome;
    }

    /// <summary>Keeps a delivery whose processing threw (a bug, not an outage), so it can be seen and replayed.</summary>
    public async Task RecordFailureAsync(StripeEvent evt, Exception error, CancellationToken cancellationToken)
    {
        metrics.EventProcessed(evt.Type, EventStatus.Failed, 0);
        Log.Failed(logger, evt.Id, evt.Type, error);
        try
        {
            await using var tx = await ledger.Database.BeginAsync(cancellationToken);
            await WebhookEvents.RecordFailureAsync(tx, evt, $"{error.GetType().Name}: {error.Message}", ledger.Now(), cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (Exception recordError)
        {
            Log.FailureNotRecorded(logger, evt.Id, recordError);
        }
    }

    /// <summary>Null when the event id was already processed: nothing is done and the caller answers duplicate.</summary>
    private async Task<EventOutcome?> ClaimAndApplyAsync(
        LedgerTransaction tx, StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems, CancellationToken cancellationToken)
    {
        if (tx.FastPaths && LivemodeMismatch(evt) is null
            && checkout.PlanOneStatementGrant(evt, lineItems) is { } grant)
        {
            var result = await grant.RunAsync(tx, evt, ledger.Now(), cancellationToken);
            if (result.Granted == 1)
            {
                // The outbox insert is a second statement in the same transaction (docs/benchmarks.md), skipped when no endpoint exists.
                if (result.Endpoints)
                {
                    await Outbox.EnqueueAsync(tx, StripeChanges.Granted(grant.Purchase, result.Balance ?? 0), ledger.Now(), cancellationToken);
                }
                return new EventOutcome(EventStatus.Granted, grant.Credits, grant.AccountId)
                {
                    Balance = result.Balance, ObjectId = grant.Session.Id, OneStatement = true,
                };
            }
            if (result.Claimed == 1)
            {
                return await ApplyAndRecordAsync(tx, evt, lineItems, cancellationToken);
            }
        }
        if (!await WebhookEvents.TryClaimAsync(tx, evt, ledger.Now(), cancellationToken))
        {
            return null;
        }
        return await ApplyAndRecordAsync(tx, evt, lineItems, cancellationToken);
    }

    private async Task<EventOutcome> ApplyAndRecordAsync(
        LedgerTransaction tx, StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems, CancellationToken cancellationToken)
    {
        var outcome = await ApplyAsync(tx, evt, lineItems, cancellationToken);
        await WebhookEvents.RecordOutcomeAsync(tx, evt.Id, outcome, ledger.Now(), cancellationToken);
        return outcome;
    }

    /// <summary>
    /// What an event may touch: its buyer first (events about one buyer share a lane, so lanes
    /// seldom wait on each other's row locks), then its payment intent, object, customer and own id.
    /// Group commit never interleaves two events that share one of these.
    /// </summary>
    private static List<string> Keys(StripeEvent evt)
    {
        var keys = new List<string>(5);
        foreach (var key in (ReadOnlySpan<string?>)[
            evt.Object.Child("metadata")?.Text("user_id"), evt.Object.Text("client_reference_id"), evt.Object.Reference("payment_intent"),
            evt.ObjectId, evt.Object.Reference("customer"), evt.Id])
        {
            if (!string.IsNullOrEmpty(key))
            {
                keys.Add(key);
            }
        }
        return keys;
    }

    private Task<EventOutcome> ApplyAsync(LedgerTransaction tx, StripeEvent evt, IReadOnlyList<LineItemPrice> lineItems, CancellationToken cancellationToken)
    {
        if (LivemodeMismatch(evt) is { } mismatch)
        {
            return Task.FromResult(EventOutcome.Ignored(mismatch));
        }
        return HandledEvents.Find(evt.Type) is { } handled
            ? handled.Handle(effects, tx, evt, lineItems, cancellationToken)
            : Task.FromResult(EventOutcome.Ignored($"event type {evt.Type} is not one Credits acts on"));
    }

    private string? LivemodeMismatch(StripeEvent evt) =>
        options.Value.Livemode is { } expected && evt.Livemode is { } actual && expected != actual
            ? $"livemode {(actual ? "true" : "false")} differs from CREDITS_LIVEMODE={(expected ? "true" : "false")}"
            : null;

    /// <summary>
    /// Runs a stored event through the same idempotent path again (after a fix, a new pack, an
    /// account that now exists). Business effects stay exactly-once; the stored outcome is
    /// updated unless the replay only found the work already done. Null when no such event.
    /// </summary>
    public async Task<EventOutcome?> ReplayAsync(string eventId, CancellationToken cancellationToken)
    {
        if (await WebhookEvents.GetAsync(ledger.Database, eventId, cancellationToken) is not { } stored)
        {
            return null;
        }
        using var evt = StripeEvent.TryParse(System.Text.Encoding.UTF8.GetBytes(stored.Payload), out var error)
            ?? throw new InvalidOperationException($"Stored event {eventId} cannot be read: {error}");
        var lineItems = await lineItemLookup.ForEventAsync(evt, cancellationToken);
        EventOutcome outcome;
        await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
        {
            outcome = await ApplyAsync(tx, evt, lineItems, cancellationToken);
            await WebhookEvents.RecordReplayAsync(tx, evt.Id, outcome, ledger.Now(), cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        Report(evt, outcome);
        return outcome;
    }

    private async Task<EventOutcome> DuplicateAsync(string eventId, CancellationToken cancellationToken)
    {
        var stored = await WebhookEvents.GetAsync(ledger.Database, eventId, cancellationToken)
            ?? throw new InvalidOperationException($"Event {eventId} conflicted on insert but cannot be read back.");
        var balance = stored.UserId is null ? null : (await ledger.GetAccountAsync(stored.UserId, cancellationToken))?.Balance;
        return new EventOutcome(EventStatus.Duplicate, stored.CreditsAdded, stored.UserId, stored.Detail)
        {
            Balance = balance,
            OriginalStatus = stored.Status,
            ObjectId = stored.ObjectId,
        };
    }

    /// <summary>Credit metrics and the one log line per event; a duplicate moved nothing.</summary>
    private void Report(StripeEvent evt, EventOutcome outcome)
    {
        metrics.CreditsMoved(outcome.CreditsAdded >= 0 ? "granted" : "reversed", outcome.Status == EventStatus.Duplicate ? 0 : outcome.CreditsAdded);
        if (outcome.Status == EventStatus.Granted)
        {
            Log.Granted(logger, outcome.CreditsAdded, outcome.UserId, evt.Id, evt.Type, outcome.ObjectId);
        }
        else
        {
            Log.Processed(logger, evt.Id, evt.Type, outcome.Status, outcome.UserId ?? "-", outcome.CreditsAdded, outcome.Detail ?? "");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "SUCCESS: {Credits} credits added to user {UserId} (event {EventId}, {EventType}, {ObjectId})")]
        public static partial void Granted(ILogger logger, long credits, string? userId, string eventId, string eventType, string? objectId);

        [LoggerMessage(2, LogLevel.Information, "Event {EventId} {EventType}: {Status}, user {UserId}, credits {Credits}. {Detail}")]
        public static partial void Processed(ILogger logger, string eventId, string eventType, string status, string userId, long credits, string detail);

        [LoggerMessage(3, LogLevel.Error, "Event {EventId} {EventType}: processing failed; Stripe will retry")]
        public static partial void Failed(ILogger logger, string eventId, string eventType, Exception error);

        [LoggerMessage(4, LogLevel.Warning, "Event {EventId}: the failure could not be recorded")]
        public static partial void FailureNotRecorded(ILogger logger, string eventId, Exception error);
    }
}
