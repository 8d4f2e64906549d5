namespace Credits.Stripe;

/// <summary>What <c>credits send-test-event</c> and <c>credits simulate</c> ask <see cref="TestEvents"/> to build.</summary>
public sealed record TestEventRequest(string Kind)
{
    public string? UserId { get; init; }
    public long? Credits { get; init; }
    public long Amount { get; init; } = 500;
    public string Currency { get; init; } = "usd";
    public string? Email { get; init; }

    /// <summary>Reuse a Checkout Session id, e.g. to follow an unpaid checkout with its async success.</summary>
    public string? SessionId { get; init; }

    /// <summary>Reuse a payment intent, e.g. to refund or dispute an earlier test purchase.</summary>
    public string? PaymentIntent { get; init; }

    /// <summary>For refunds: the cumulative amount refunded so far; the whole amount when null.</summary>
    public long? RefundedAmount { get; init; }

    public string? EventId { get; init; }
}
