using System.Globalization;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Stripe.Api;
using Microsoft.Extensions.Options;

namespace Credits.Stripe;

/// <summary>
/// Whose credits a paid session buys, and how many (docs/events.md). The account signals:
/// R, the account recorded when Credits created the session; M, metadata.user_id else
/// client_reference_id; C, the account the Stripe customer is linked to; E, the one account with
/// the payer's email. When they disagree nobody is credited: the payment is parked with a
/// reason code and the candidates an operator can choose from.
/// </summary>
public sealed class PaymentResolver(CreditLedger ledger, IOptions<PackOptions> packs, IOptions<CreditsOptions> options)
{
    public async Task<Resolution> ResolveAsync(LedgerTransaction tx, CheckoutSession session, CancellationToken cancellationToken)
    {
        var record = await CheckoutRecords.GetAsync(tx, session.Id, cancellationToken);
        var facts = record is null ? await LookUpAsync(tx, session, cancellationToken) : AccountFacts.None;
        return Decide(session, record, facts, packs.Value, CreatesUnknownAccounts);
    }

    /// <summary>
    /// The whole rule, without a database: the account chain (R, M, C, E) over the looked-up
    /// <paramref name="facts"/>, and the credits chain (record, metadata.credits, line items, the
    /// one pack of that price). <paramref name="record"/> is signal R; when it is set, no other
    /// lookup is needed and <paramref name="facts"/> is not read.
    /// </summary>
    public static Resolution Decide(CheckoutSession session, CheckoutRecord? record, AccountFacts facts, PackOptions packs, bool createsUnknownAccounts)
    {
        var user = DecideUser(session, record, facts, createsUnknownAccounts);
        var credits = record is not null ? new Found(record.Credits, null, null) : ResolveCredits(session, packs);
        var candidates = user.UserId is { } found && credits.Credits is null
            ? [new Candidate(found, record is null ? "the account this payment names" : "recorded when Credits created this Checkout Session")]
            : user.Candidates;
        return new Resolution(user.UserId, user.Create, credits.Credits, Join(user.Problem, credits.Problem),
            user.Code ?? credits.Code, candidates);
    }

    /// <summary>Reads only what <see cref="Decide"/> can use for this session, in the order the chain asks.</summary>
    private async Task<AccountFacts> LookUpAsync(LedgerTransaction tx, CheckoutSession session, CancellationToken cancellationToken)
    {
        var (named, namedProblem, _) = Named(session);
        if (namedProblem is not null)
        {
            return AccountFacts.None;
        }
        var linked = session.Customer is { Length: > 0 } customer ? await CheckoutPayments.AccountForCustomerAsync(tx, customer, cancellationToken) : null;
        var email = AccountIds.NormalizeEmail(session.Email);
        var namedExists = false;
        if (named is not null)
        {
            if (linked is not null && linked != named.Value)
            {
                return new AccountFacts(linked, false, []);
            }
            namedExists = await ledger.GetAccountAsync(tx, named.Value, cancellationToken) is not null;
        }
        var needsEmail = email is not null && (named is null ? linked is null : !namedExists);
        return new AccountFacts(linked, namedExists, needsEmail ? await ledger.FindAccountsByEmailAsync(tx, email!, cancellationToken) : []);
    }

    /// <summary>
    /// The buyer and credits the one-statement grant proposes: our own id in the metadata (not
    /// contradicted by client_reference_id) and credits known without the database. The statement
    /// itself checks what needs the database (the checkout record, the customer link, the account,
    /// the email) and hands anything else to <see cref="ResolveAsync"/>. Null when it cannot apply.
    /// </summary>
    public Resolution? ResolveWithoutLookup(CheckoutSession session) =>
        Named(session) is { Problem: null, Id: { } id } && ResolveCredits(session, packs.Value) is { Credits: { } credits }
            ? new Resolution(id.Value, true, credits, null, null, [])
            : null;

    /// <summary>CREDITS_UNKNOWN_ACCOUNTS=create: an id Credits has never seen, contradicted by nothing, becomes an account.</summary>
    public bool CreatesUnknownAccounts => options.Value.UnknownAccounts != CreditsOptions.ParkUnknownAccounts;

    /// <summary>Signal M: metadata.user_id, else client_reference_id; a problem when they differ or are not ids.</summary>
    private static (NamedId? Id, string? Problem, IReadOnlyList<Candidate> Candidates) Named(CheckoutSession session)
    {
        var named = new List<NamedId>(2);
        foreach (var (field, value) in new[] { ("metadata.user_id", session.Metadata.GetValueOrDefault("user_id")), ("client_reference_id", session.ClientReferenceId) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            if (!AccountIds.IsValid(value))
            {
                return (null, $"{field} '{Truncate(value)}' is not a valid account id ({AccountIds.Describe})", []);
            }
            named.Add(new NamedId(value, field));
        }
        if (named is [var first, var second] && first.Value != second.Value)
        {
            return (null, $"metadata.user_id names user {first.Value} but client_reference_id names user {second.Value}",
                [new Candidate(first.Value, "named by metadata.user_id"), new Candidate(second.Value, "named by client_reference_id")]);
        }
        return (named.FirstOrDefault(), null, []);
    }

    private static UserFound DecideUser(CheckoutSession session, CheckoutRecord? record, AccountFacts facts, bool createsUnknownAccounts)
    {
        var (named, namedProblem, namedCandidates) = Named(session);
        if (record is not null)
        {
            if (namedProblem is not null || named is not null && named.Value != record.AccountId)
            {
                var recorded = new Candidate(record.AccountId, "recorded when Credits created this Checkout Session");
                return Park(ParkReasons.ConflictingAccounts,
                    $"the session was created for user {record.AccountId} but {namedProblem ?? $"its {named!.Field} names user {named.Value}"}: " +
                    "it was changed or mixed up after checkout",
                    [recorded, .. namedCandidates, .. named is null ? Array.Empty<Candidate>() : [new Candidate(named.Value, $"named by {named.Field}")]]);
            }
            return new UserFound(record.AccountId, false, null, null, []);
        }
        if (namedProblem is not null)
        {
            return Park(namedCandidates.Count > 0 ? ParkReasons.ConflictingAccounts : ParkReasons.UnknownAccount, namedProblem, namedCandidates);
        }

        var linked = facts.LinkedAccount;
        var email = AccountIds.NormalizeEmail(session.Email);
        if (named is not null)
        {
            var byName = new Candidate(named.Value, $"named by {named.Field}");
            if (linked is not null && linked != named.Value)
            {
                return Park(ParkReasons.ConflictingAccounts,
                    $"{named.Field} names user {named.Value} but Stripe customer {session.Customer} is linked to user {linked} by an earlier purchase",
                    [new Candidate(linked, $"Stripe customer {session.Customer} is linked to it by an earlier purchase"), byName]);
            }
            if (facts.NamedAccountExists)
            {
                return new UserFound(named.Value, false, null, null, []);
            }
            if (email is not null && facts.EmailOwners is [var owner])
            {
                return Park(ParkReasons.ConflictingAccounts,
                    $"{named.Field} names unknown account {named.Value}; the payer's email ({AccountIds.MaskEmail(email)}) belongs to user {owner}",
                    [new Candidate(owner, $"the payer's email {AccountIds.MaskEmail(email)} is this account's"), byName with { Why = $"{byName.Why}; no such account yet" }]);
            }
            return createsUnknownAccounts
                ? new UserFound(named.Value, true, null, null, [])
                : Park(ParkReasons.UnknownAccount,
                    $"{named.Field} names user {named.Value}, an account Credits has never seen (CREDITS_UNKNOWN_ACCOUNTS=park)", [byName]);
        }

        if (linked is not null)
        {
            return new UserFound(linked, false, null, null, []);
        }
        if (email is null)
        {
            return Park(ParkReasons.NoAccount, "no user: the session has no metadata.user_id, no client_reference_id, no customer linked to an account and no email", []);
        }
        var matches = facts.EmailOwners;
        return matches.Count switch
        {
            1 => new UserFound(matches[0], false, null, null, []),
            0 => Park(ParkReasons.NoAccount, $"no account has the email {AccountIds.MaskEmail(email)}", []),
            _ => Park(ParkReasons.NoAccount, $"more than one account has the email {AccountIds.MaskEmail(email)}",
                [.. matches.Select(m => new Candidate(m, $"has the payer's email {AccountIds.MaskEmail(email)}"))]),
        };
    }

    private static UserFound Park(string code, string problem, IReadOnlyList<Candidate> candidates) => new(null, false, problem, code, candidates);

    private static Found ResolveCredits(CheckoutSession session, PackOptions packs)
    {
        if (session.Metadata.TryGetValue("credits", out var text))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var credits) && credits is > 0 and <= CreditLimits.MaxCredits
                ? new Found(credits, null, null)
                : new Found(null, $"metadata.credits '{Truncate(text)}' is not a whole number between 1 and {CreditLimits.MaxCredits}", ParkReasons.NoCreditAmount);
        }

        if (LineItemCredits(session.LineItems, packs) is { } fromItems)
        {
            return new Found(fromItems, null, null);
        }

        if (session.AmountTotal is not { } amount || session.Currency is not { } currency)
        {
            return new Found(null, "no credit amount: no metadata.credits and no amount_total/currency to match a pack", ParkReasons.NoCreditAmount);
        }
        var matching = packs.Packs.Where(p => p.UnitAmount == amount && p.Currency == currency).ToList();
        return matching.Count switch
        {
            1 => new Found(matching[0].Credits, null, null),
            0 => new Found(null, $"no credit amount: no metadata.credits and no pack costs {amount} {currency}", ParkReasons.NoCreditAmount),
            _ => new Found(null, $"no credit amount: {matching.Count} packs cost {amount} {currency} ({string.Join(", ", matching.Select(p => p.Id))})",
                ParkReasons.AmbiguousPack),
        };
    }

    /// <summary>
    /// The credits of the line items: each item's pack by its configured Stripe price id, else its
    /// Price's metadata.credits, times its quantity. Null when any item is neither: the amount decides then.
    /// A discount changes what was paid, never these credits.
    /// </summary>
    private static long? LineItemCredits(IReadOnlyList<LineItemPrice> lineItems, PackOptions packs)
    {
        long total = 0;
        foreach (var item in lineItems)
        {
            var each = packs.Packs.FirstOrDefault(p => !string.IsNullOrEmpty(p.PriceId) && p.PriceId == item.PriceId)?.Credits ?? item.Credits;
            if (each is not > 0 || item.Quantity is < 1 or > CreditLimits.MaxCredits)
            {
                return null;
            }
            total += each.Value * item.Quantity;
            if (total > CreditLimits.MaxCredits)
            {
                return null;
            }
        }
        return total > 0 ? total : null;
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : $"{first}; {second}";

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private sealed record NamedId(string Value, string Field);

    private sealed record UserFound(string? UserId, bool Create, string? Problem, string? Code, IReadOnlyList<Candidate> Candidates);

    private sealed record Found(long? Credits, string? Problem, string? Code);
}

/// <summary>
/// Null <see cref="UserId"/> or <see cref="Credits"/> parks the payment, with <see cref="Problem"/>
/// as the sentence, <see cref="ReasonCode"/> as its code and <see cref="Candidates"/> as the
/// accounts an operator may assign it to.
/// </summary>
public sealed record Resolution(string? UserId, bool CreateAccount, long? Credits, string? Problem, string? ReasonCode, IReadOnlyList<Candidate> Candidates)
{
    public bool IsComplete => UserId is not null && Credits is not null;
}

/// <summary>
/// What the account chain looked up when no checkout record exists: signal C (the account the
/// Stripe customer is linked to), whether the account signal M names exists, and signal E (the
/// accounts with the payer's email; empty when it was not needed).
/// </summary>
public sealed record AccountFacts(string? LinkedAccount, bool NamedAccountExists, IReadOnlyList<string> EmailOwners)
{
    public static AccountFacts None { get; } = new(null, false, []);
}

/// <summary>An account a parked payment may belong to, and why it was suggested.</summary>
public sealed record Candidate(string UserId, string Why);

/// <summary>The reason codes of a parked payment.</summary>
public static class ParkReasons
{
    public const string NoAccount = "no_account";
    public const string UnknownAccount = "unknown_account";
    public const string ConflictingAccounts = "conflicting_accounts";
    public const string NoCreditAmount = "no_credit_amount";
    public const string AmbiguousPack = "ambiguous_pack";
}
