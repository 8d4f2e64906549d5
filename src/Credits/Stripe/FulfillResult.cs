using System.Text.Json.Serialization;

namespace Credits.Stripe;

/// <summary>
/// The answer of <c>POST /api/checkout/sessions/{id}/fulfill</c>. <see cref="Status"/> is
/// <c>granted</c> (now or earlier: <see cref="CreditsAdded"/> tells which), <c>pending</c>,
/// <c>unmatched</c> or <c>ignored</c>; <see cref="Credits"/> is what the session is worth.
/// </summary>
public sealed record FulfillResult(
    string SessionId,
    string Status,
    long CreditsAdded,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Credits,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Balance,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);
