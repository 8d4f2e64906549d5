using System.Data.Common;
using System.Net;
using System.Text.Json;
using Credits.Configuration;
using Credits.Ledger;
using Credits.Stripe;
using Credits.Stripe.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Stripe;

namespace Credits.Api;

/// <summary><c>POST /api/checkout/sessions</c> starts a purchase; <c>.../{id}/fulfill</c> is the success page's fast path.</summary>
public static class CheckoutApi
{
    public static RouteGroupBuilder MapCheckoutApi(this RouteGroupBuilder api)
    {
        api.MapPost("/checkout/sessions", CreateAsync).WithTags("Checkout");
        api.MapPost("/checkout/sessions/{id}/fulfill", FulfillAsync).WithTags("Checkout");
        return api;
    }

    public sealed record CheckoutRequest(string? UserId, string? PackId, string? SuccessUrl, string? CancelUrl, JsonElement? Quantity, string? Email);

    public const int MaxQuantity = 100;

    /// <summary>
    /// Creates the session at Stripe, then records it (account, pack, quantity, credits) before
    /// answering: the webhook, the success page, reconcile and replay trust that record first.
    /// The account must exist, or <c>email</c> creates it; a stale or mistyped id is a 404, never a new account.
    /// </summary>
    private static async Task<Results<Ok<CreatedCheckoutSession>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, IStripeApi stripe, IOptions<PackOptions> packs, CreditLedger ledger, UnmatchedPayments unmatched,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<CheckoutRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!AccountIds.IsValid(body!.UserId))
        {
            return Problems.BadRequest("Invalid user id", $"user_id is required and must be {AccountIds.Describe}.");
        }
        if (packs.Value.Find(body.PackId ?? "") is not { } pack)
        {
            return Problems.BadRequest("Unknown pack",
                $"pack_id '{body.PackId}' is not a configured pack; GET /api/packs lists them ({string.Join(", ", packs.Value.Packs.Select(p => p.Id))}).");
        }
        long quantity = 1;
        if (body.Quantity is { ValueKind: not JsonValueKind.Null } given
            && !(given.ValueKind == JsonValueKind.Number && given.TryGetInt64(out quantity) && quantity is >= 1 and <= MaxQuantity))
        {
            return Problems.BadRequest("Invalid quantity", $"quantity, when given, must be a whole number from 1 to {MaxQuantity}: how many {pack.Id} packs to buy.");
        }
        if (pack.Credits * quantity > CreditLimits.MaxCredits)
        {
            return Problems.BadRequest("Invalid quantity", $"{quantity} {pack.Id} packs would be more than {CreditLimits.MaxCredits} credits in one purchase; buy fewer.");
        }
        string? email = null;
        if (!string.IsNullOrWhiteSpace(body.Email) && (email = AccountIds.NormalizeEmail(body.Email)) is null)
        {
            return Problems.BadRequest("Invalid email", $"email '{body.Email}' is not an email address.");
        }
        foreach (var (field, url) in new[] { ("success_url", body.SuccessUrl), ("cancel_url", body.CancelUrl) })
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
            {
                return Problems.BadRequest("Invalid URL", $"{field} must be an absolute http(s) URL Stripe can send the buyer to.");
            }
        }
        if (NotConfigured(stripe) is { } notConfigured)
        {
            return notConfigured;
        }
        var userId = body.UserId!;
        var account = await ledger.GetAccountAsync(userId, cancellationToken);
        if (account is null && email is null)
        {
            return Problems.NotFound(
                $"No user '{userId}': a checkout is only created for a known account, so that its credits cannot go to a stale or mistyped id. " +
                $"Create the account first (PUT /api/users/{userId} with its email), or pass \"email\" with this request to create it.");
        }
        if (account is null)
        {
            await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
            {
                await ledger.UpsertAccountAsync(tx, userId, email, cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            // As registering with PUT /api/users does: parked payments made with this email are the new account's.
            await unmatched.ClaimByEmailAsync(userId, email!, cancellationToken);
        }
        var checkout = new NewCheckoutSession(userId, pack, body.SuccessUrl!, body.CancelUrl!, account?.Email ?? email, quantity);
        return await CallStripeAsync(async () =>
        {
            var created = await stripe.CreateCheckoutSessionAsync(checkout, cancellationToken);
            await using var tx = await ledger.Database.BeginAsync(cancellationToken);
            await CheckoutRecords.WriteAsync(tx, new CheckoutRecord
            {
                SessionId = created.Id, AccountId = userId, PackId = pack.Id, Quantity = quantity, Credits = checkout.Credits, CreatedAt = ledger.Now(),
            }, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return TypedResults.Ok(created);
        }, "create a Checkout Session", cancellationToken);
    }

    private static async Task<Results<Ok<FulfillResult>, ProblemHttpResult>> FulfillAsync(
        string id, IStripeApi stripe, SuccessPageFulfillment fulfillment, CancellationToken cancellationToken)
    {
        if (!id.StartsWith("cs_", StringComparison.Ordinal) || id.Length > 255)
        {
            return Problems.BadRequest("Invalid session id", $"'{id}' is not a Checkout Session id; they start with cs_ (the success page gets it as {{CHECKOUT_SESSION_ID}}).");
        }
        if (NotConfigured(stripe) is { } notConfigured)
        {
            return notConfigured;
        }
        try
        {
            return await CallStripeAsync(async () => TypedResults.Ok(await fulfillment.FulfillAsync(id, cancellationToken)), $"read Checkout Session {id}",
                cancellationToken);
        }
        catch (Exception e) when (e is DbException or TimeoutException)
        {
            return Problems.Unavailable($"The database could not be reached while fulfilling {id}; nothing was granted, try again. ({e.GetType().Name})");
        }
    }

    private static ProblemHttpResult? NotConfigured(IStripeApi stripe) => stripe.IsConfigured
        ? null
        : TypedResults.Problem("STRIPE_SECRET_KEY is not set, so Credits cannot call Stripe; set it and restart.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Stripe not configured");

    /// <summary>Stripe's own refusals and outages become problem+json naming what failed, never a bare 500.</summary>
    private static async Task<Results<Ok<T>, ProblemHttpResult>> CallStripeAsync<T>(Func<Task<Ok<T>>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (StripeException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return Problems.NotFound($"Stripe could not {what}: {e.StripeError?.Message ?? e.Message}");
        }
        catch (StripeException e)
        {
            return TypedResults.Problem($"Stripe could not {what}: {e.StripeError?.Message ?? e.Message}",
                statusCode: StatusCodes.Status502BadGateway, title: "Stripe error");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Problem($"Stripe could not be reached to {what}; nothing changed, try again. ({e.GetType().Name})",
                statusCode: StatusCodes.Status504GatewayTimeout, title: "Stripe unreachable");
        }
    }
}
