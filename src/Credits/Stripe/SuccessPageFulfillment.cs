using System.Text.Json;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Stripe.Api;
using Credits.Telemetry;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>
/// The success page's fast path (Stripe's fulfilment advice): fetch the session from Stripe, then
/// grant through the same <see cref="CheckoutFulfillment.FulfillAsync"/> as the webhook, so
/// whichever of the page and the events comes first grants and the others add nothing.
/// </summary>
public sealed partial class SuccessPageFulfillment(
    IStripeApi stripe, LineItemLookup lineItemLookup, CreditLedger ledger, CheckoutFulfillment checkout, IOptions<CreditsOptions> options,
    CreditsMetrics metrics, ILogger<SuccessPageFulfillment> logger)
{
    /// <summary>Stored as checkout_payments.event_id when the page, not an event, wrote the session.</summary>
    public const string Source = "success_page";

    public async Task<FulfillResult> FulfillAsync(string sessionId, CancellationToken cancellationToken)
    {
        // Every Stripe call first; the transaction below holds the write lock only for SQL.
        var json = await stripe.GetCheckoutSessionJsonAsync(sessionId, cancellationToken);
        using var document = JsonDocument.Parse(json);
        var session = CheckoutSession.From(document.RootElement)
            ?? throw new InvalidOperationException($"Stripe answered for {sessionId} with something that is not a Checkout Session.");
        if (options.Value.Livemode is { } expected && document.RootElement.Boolean("livemode") is { } actual && expected != actual)
        {
            return new FulfillResult(session.Id, EventStatus.Ignored, 0, null, null, null,
                $"livemode {(actual ? "true" : "false")} differs from CREDITS_LIVEMODE={(expected ? "true" : "false")}");
        }
        var lineItems = await lineItemLookup.ForSessionAsync(session, cancellationToken);

        EventOutcome outcome;
        CheckoutPayment? payment;
        await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
        {
            outcome = await checkout.FulfillAsync(tx, session with { LineItems = lineItems }, Source, cancellationToken);
            payment = await CheckoutPayments.GetAsync(tx, session.Id, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        metrics.CreditsMoved("granted", outcome.CreditsAdded);
        Log.Fulfilled(logger, session.Id, outcome.Status, outcome.UserId ?? "-", outcome.CreditsAdded);
        // An earlier grant (by a webhook or an earlier page load) is the answer, not a "duplicate".
        var status = outcome is { Status: EventStatus.Duplicate, OriginalStatus: { } original } ? original : outcome.Status;
        return new FulfillResult(session.Id, status, outcome.CreditsAdded, payment?.Credits, outcome.UserId, outcome.Balance, outcome.Detail);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Success page for session {SessionId}: {Status}, user {UserId}, credits added {Credits}")]
        public static partial void Fulfilled(ILogger logger, string sessionId, string status, string userId, long credits);
    }
}
