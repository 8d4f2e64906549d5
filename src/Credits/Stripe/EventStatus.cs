namespace Credits.Stripe;

/// <summary>The <c>status</c> values of the webhook's 200 body (README, "The webhook"; docs/events.md), plus <see cref="Failed"/> for stored events whose processing threw.</summary>
public static class EventStatus
{
    public const string Granted = "granted";
    public const string Duplicate = "duplicate";
    public const string Pending = "pending";
    public const string Reversed = "reversed";
    public const string Unmatched = "unmatched";
    public const string Ignored = "ignored";
    public const string Failed = "failed";
}
