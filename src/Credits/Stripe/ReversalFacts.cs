using System.Globalization;
using System.Text.Json;

namespace Credits.Stripe;

/// <summary>
/// What a refund or dispute event says about a payment. <see cref="SourceId"/> is the idempotency
/// key: for a refund, the charge and its cumulative refunded amount (charge.refunded no longer
/// carries refund ids), so each refund step is one key and a redelivery repeats it.
/// </summary>
public sealed record ReversalFacts(string Kind, string SourceId, string PaymentIntent, long Amount, long? ChargeAmount, string? Currency)
{
    public const string Refund = "refund";
    public const string Dispute = "dispute";
    public const string DisputeWon = "dispute_won";

    /// <summary>A Charge from charge.refunded; null when it lacks what a reversal needs.</summary>
    public static ReversalFacts? FromRefundedCharge(JsonElement charge) =>
        charge.Text("id") is { Length: > 0 } id && charge.Reference("payment_intent") is { Length: > 0 } paymentIntent
        && charge.Integer("amount_refunded") is { } refunded && refunded > 0 && charge.Integer("amount") is { } amount && amount > 0
            ? new ReversalFacts(Refund, $"{id}:{refunded.ToString(CultureInfo.InvariantCulture)}", paymentIntent, refunded, amount, charge.Text("currency"))
            : null;

    /// <summary>A Dispute from charge.dispute.*; <paramref name="kind"/> is <see cref="Dispute"/> or <see cref="DisputeWon"/>.</summary>
    public static ReversalFacts? FromDispute(JsonElement dispute, string kind) =>
        dispute.Text("id") is { Length: > 0 } id && dispute.Reference("payment_intent") is { Length: > 0 } paymentIntent
            ? new ReversalFacts(kind, id, paymentIntent, dispute.Integer("amount") ?? 0, null, dispute.Text("currency"))
            : null;
}
