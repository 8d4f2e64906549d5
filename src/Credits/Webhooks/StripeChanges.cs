using Credits.Ledger;
using Credits.Ledger.Webhooks;
using Credits.Stripe;

namespace Credits.Webhooks;

/// <summary>
/// The outbox messages of changes Stripe causes: purchases granted, refunds and disputes,
/// payments parked for an operator and purchases moved between accounts. Each carries the ids of
/// the Stripe objects involved.
/// </summary>
public static class StripeChanges
{
    /// <summary>A purchase granted (by an event, the success page, an operator's assignment or a claim by email).</summary>
    public static OutboxChange Granted(GrantedPurchase purchase, long balance) =>
        new(WebhookEventTypes.CreditsGranted, purchase.AccountId, new
        {
            account_id = purchase.AccountId,
            credits = purchase.Credits,
            balance,
            source = CheckoutFulfillment.SourceKind,
            checkout_session_id = purchase.SessionId,
            payment_intent_id = NullIfEmpty(purchase.PaymentIntent),
        });

    /// <summary>
    /// A refund or dispute took credits back (credits.reversed), or a won dispute gave them back
    /// (credits.granted); <paramref name="credits"/> is the signed ledger amount.
    /// </summary>
    public static OutboxChange Reversed(ReversalFacts facts, GrantedPurchase purchase, long credits, Account after)
    {
        var takenBack = credits < 0;
        return new(takenBack ? WebhookEventTypes.CreditsReversed : WebhookEventTypes.CreditsGranted, purchase.AccountId,
            new
            {
                account_id = purchase.AccountId,
                credits = Math.Abs(credits),
                balance = after.Balance,
                available = after.Available,
                source = facts.Kind,
                checkout_session_id = purchase.SessionId,
                payment_intent_id = facts.PaymentIntent,
                charge_id = facts.Kind == ReversalFacts.Refund ? facts.SourceId.Split(':')[0] : null,
                dispute_id = facts.Kind == ReversalFacts.Refund ? null : facts.SourceId,
            },
            takenBack ? new Crossing(after.Available - credits, after.Available, after.Balance) : null);
    }

    /// <summary>A paid session parked for an operator; <c>account_id</c> is the account it names, if any.</summary>
    public static OutboxChange Unmatched(CheckoutSession session, Resolution resolution) =>
        new(WebhookEventTypes.PaymentUnmatched, resolution.UserId, new
        {
            account_id = resolution.UserId,
            credits = resolution.Credits,
            reason_code = resolution.ReasonCode,
            reason = resolution.Problem,
            checkout_session_id = session.Id,
            payment_intent_id = session.PaymentIntent,
            customer_id = session.Customer,
            amount_total = session.AmountTotal,
            currency = session.Currency,
        });

    /// <summary>What was left of a purchase moved to another account; reported on the account it left (whose balance fell).</summary>
    public static OutboxChange Reassigned(string sessionId, string fromAccount, string toAccount, long credits, long toBalance, Account from) =>
        new(WebhookEventTypes.PaymentReassigned, fromAccount, new
        {
            account_id = fromAccount,
            to_account_id = toAccount,
            credits,
            balance = from.Balance,
            to_balance = toBalance,
            checkout_session_id = sessionId,
        },
        new Crossing(from.Available + credits, from.Available, from.Balance));

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
