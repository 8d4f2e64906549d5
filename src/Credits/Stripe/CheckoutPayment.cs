namespace Credits.Stripe;

/// <summary>A row of checkout_payments: the state of one Checkout Session.</summary>
public sealed record CheckoutPayment
{
    public required string SessionId { get; init; }
    public required string Status { get; init; }
    public string? AccountId { get; init; }
    public long? Credits { get; init; }
    public long? AmountTotal { get; init; }
    public string? Currency { get; init; }
    public string? PaymentIntent { get; init; }
    public string? CustomerId { get; init; }
    public string? Email { get; init; }
    public string? Reason { get; init; }
    public string? ReasonCode { get; init; }

    /// <summary>JSON array of {user_id, why}; read with <see cref="CandidateList.Read"/>.</summary>
    public string? Candidates { get; init; }
    public string? EventId { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

public static class PaymentStatus
{
    public const string Pending = "pending";
    public const string Granted = "granted";
    public const string Unmatched = "unmatched";
    public const string Failed = "failed";
    public const string Expired = "expired";
}
