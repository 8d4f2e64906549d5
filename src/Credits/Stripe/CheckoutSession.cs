using System.Text.Json;
using Credits.Stripe.Api;

namespace Credits.Stripe;

/// <summary>The fields of a Checkout Session (data.object of checkout.session.*) that decide a grant.</summary>
public sealed record CheckoutSession
{
    public required string Id { get; init; }
    public string? Mode { get; init; }
    public string? PaymentStatus { get; init; }
    public long? AmountTotal { get; init; }
    public string? Currency { get; init; }
    public string? Customer { get; init; }
    public string? Email { get; init; }
    public string? ClientReferenceId { get; init; }
    public string? PaymentIntent { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Fetched from Stripe before the transaction (<see cref="LineItemLookup"/>); empty when not looked up.</summary>
    public IReadOnlyList<LineItemPrice> LineItems { get; init; } = [];

    public static CheckoutSession? From(JsonElement session)
    {
        if (session.Text("object") is { } kind && kind != "checkout.session" || session.Text("id") is not { Length: > 0 } id)
        {
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (session.Child("metadata") is { } map)
        {
            foreach (var property in map.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    metadata[property.Name] = property.Value.GetString()!;
                }
            }
        }
        return new CheckoutSession
        {
            Id = id,
            Mode = session.Text("mode"),
            PaymentStatus = session.Text("payment_status"),
            AmountTotal = session.Integer("amount_total"),
            Currency = session.Text("currency")?.ToLowerInvariant(),
            Customer = session.Reference("customer"),
            Email = session.Child("customer_details")?.Text("email") ?? session.Text("customer_email"),
            ClientReferenceId = session.Text("client_reference_id"),
            PaymentIntent = session.Reference("payment_intent"),
            Metadata = metadata,
        };
    }
}
