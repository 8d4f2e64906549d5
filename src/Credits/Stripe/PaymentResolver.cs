using System.Globalization;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Stripe.Api;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>Who paid and how many credits it was worth: the two resolution chains of SPEC §3.</summary>
public sealed class PaymentResolver(CreditLedger ledger, IOptions<PackOptions> packs)
{
    public async Task<Resolution> ResolveAsync(LedgerTransaction tx, CheckoutSession session, CancellationToken cancellationToken)
    {
        var user = await ResolveUserAsync(tx, session, cancellationToken);
        var credits = ResolveCredits(session);
        return new Resolution(user.UserId, user.Authoritative, credits.Credits, Join(user.Problem, credits.Problem));
    }

    /// <summary>
    /// The resolution when it needs no lookup: the buyer is named by our own id and the credits
    /// are known. Null when resolving needs the database (customer link, email) or would park.
    /// </summary>
    public Resolution? ResolveWithoutLookup(CheckoutSession session) =>
        OwnId(session) is (not null, true, _) own && ResolveCredits(session) is (not null, _) credits
            ? new Resolution(own.UserId, true, credits.Credits, null)
            : null;

    /// <summary>metadata.user_id, else client_reference_id: authoritative, so the account is created if needed. Null when neither is set.</summary>
    private static (string? UserId, bool Authoritative, string? Problem)? OwnId(CheckoutSession session)
    {
        foreach (var (field, value) in new[] { ("metadata.user_id", session.Metadata.GetValueOrDefault("user_id")), ("client_reference_id", session.ClientReferenceId) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            return AccountIds.IsValid(value)
                ? (value, true, null)
                : (null, false, $"{field} '{Truncate(value)}' is not a valid account id ({AccountIds.Describe})");
        }
        return null;
    }

    private async Task<(string? UserId, bool Authoritative, string? Problem)> ResolveUserAsync(
        LedgerTransaction tx, CheckoutSession session, CancellationToken cancellationToken)
    {
        if (OwnId(session) is { } own)
        {
            return own;
        }

        if (session.Customer is { Length: > 0 } customer
            && await CheckoutPayments.AccountForCustomerAsync(tx, customer, cancellationToken) is { } linked)
        {
            return (linked, false, null);
        }

        if (AccountIds.NormalizeEmail(session.Email) is { } email)
        {
            var matches = await ledger.FindAccountsByEmailAsync(tx, email, cancellationToken);
            return matches.Count switch
            {
                1 => (matches[0], false, null),
                0 => (null, false, $"no account has the email {email}"),
                _ => (null, false, $"more than one account has the email {email}"),
            };
        }

        return (null, false, "no user: the session has no metadata.user_id, no client_reference_id, no customer linked to an account and no email");
    }

    private (long? Credits, string? Problem) ResolveCredits(CheckoutSession session)
    {
        if (session.Metadata.TryGetValue("credits", out var text))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var credits) && credits is > 0 and <= CreditLimits.MaxCredits
                ? (credits, null)
                : (null, $"metadata.credits '{Truncate(text)}' is not a whole number between 1 and {CreditLimits.MaxCredits}");
        }

        if (PackCredits(session.LineItems) is { } fromPrices)
        {
            return (fromPrices, null);
        }

        if (session.AmountTotal is not { } amount || session.Currency is not { } currency)
        {
            return (null, "no credit amount: no metadata.credits and no amount_total/currency to match a pack");
        }
        var matching = packs.Value.Packs.Where(p => p.UnitAmount == amount && p.Currency == currency).ToList();
        return matching.Count switch
        {
            1 => (matching[0].Credits, null),
            0 => (null, $"no credit amount: no metadata.credits and no pack costs {amount} {currency}"),
            _ => (null, $"no credit amount: {matching.Count} packs cost {amount} {currency}"),
        };
    }

    /// <summary>The credits of the packs bought, when every line item is a pack's Stripe price; otherwise null.</summary>
    private long? PackCredits(IReadOnlyList<LineItemPrice> lineItems)
    {
        long total = 0;
        foreach (var item in lineItems)
        {
            if (packs.Value.Packs.FirstOrDefault(p => p.PriceId == item.PriceId) is not { } pack)
            {
                return null;
            }
            total += pack.Credits * item.Quantity;
        }
        return total is > 0 and <= CreditLimits.MaxCredits ? total : null;
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : $"{first}; {second}";

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

/// <summary>Null <see cref="UserId"/> or <see cref="Credits"/> parks the payment, with <see cref="Problem"/> as the reason.</summary>
public sealed record Resolution(string? UserId, bool CreateAccount, long? Credits, string? Problem)
{
    public bool IsComplete => UserId is not null && Credits is not null;
}
