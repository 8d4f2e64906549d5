using Credits.Ledger;
using Credits.Stripe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapPut("/{id}", PutAsync).WithJsonBody<UserRequest>();
        users.MapGet("/{id}", GetAsync);
        users.MapGet("/{id}/ledger", LedgerAsync);
        return api;
    }

    public sealed record UserRequest(string? Email);

    /// <summary>
    /// available = balance - held - expired: what a spend or a new hold may take now. debt: what a
    /// refund or move could not take back (the next grant pays it first). expiring_soon: credits
    /// expiring in the next 7 days and the first such date, or null.
    /// </summary>
    public sealed record UserResponse(string Id, string? Email, long Balance, long Held, long Available, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        long Debt = 0, ExpiringSoonResponse? ExpiringSoon = null)
    {
        public static UserResponse From(Account account, ExpiringSoon? soon = null) => new(account.Id, account.Email, account.Balance, account.Held, account.Available,
            DateTimeOffset.FromUnixTimeMilliseconds(account.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(account.UpdatedAt), account.Debt,
            soon is { FirstExpiresAt: { } first } ? new ExpiringSoonResponse(soon.Credits, DateTimeOffset.FromUnixTimeMilliseconds(first)) : null);
    }

    public sealed record ExpiringSoonResponse(long Credits, DateTimeOffset FirstExpiresAt);

    /// <summary>lots: the credit lots the row took from (negative) or added to (positive).</summary>
    public sealed record LedgerEntryResponse(long Id, long Amount, string Kind, string SourceKind, string SourceId, string? Reason, DateTimeOffset CreatedAt,
        IReadOnlyList<EntryLotResponse>? Lots = null);

    public sealed record EntryLotResponse(long LotId, long Amount);

    public sealed record LedgerPage(string UserId, IReadOnlyList<LedgerEntryResponse> Entries, long? NextBefore);

    private static async Task<Results<Ok<UserResponse>, Created<UserResponse>, ProblemHttpResult>> PutAsync(
        string id, HttpRequest request, CreditLedger ledger, UnmatchedPayments unmatched, CancellationToken cancellationToken)
    {
        if (!AccountIds.IsValid(id))
        {
            return Problems.BadRequest("Invalid user id", $"The user id must be {AccountIds.Describe}.");
        }
        var (body, problem) = await JsonBody.ReadAsync<UserRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        string? email = null;
        if (!string.IsNullOrWhiteSpace(body!.Email) && (email = AccountIds.NormalizeEmail(body.Email)) is null)
        {
            return Problems.BadRequest("Invalid email", $"'{body.Email}' is not an email address.");
        }
        bool created;
        await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
        {
            created = await ledger.UpsertAccountAsync(tx, id, email, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        if (email is not null)
        {
            await unmatched.ClaimByEmailAsync(id, email, cancellationToken);
        }
        var account = UserResponse.From((await ledger.GetAccountAsync(id, cancellationToken))!);
        return created ? TypedResults.Created($"/api/users/{Uri.EscapeDataString(id)}", account) : TypedResults.Ok(account);
    }

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetAsync(
        string id, CreditLedger ledger, LotQueries lots, CancellationToken cancellationToken) =>
        await ledger.GetAccountAsync(id, cancellationToken) is { } account
            ? TypedResults.Ok(UserResponse.From(account, await lots.ExpiringSoonAsync(id, cancellationToken)))
            : Problems.NotFound($"No user '{id}'. Create it with PUT /api/users/{id}, or it appears with its first purchase.");

    private static async Task<Results<Ok<LedgerPage>, PushStreamHttpResult, ProblemHttpResult>> LedgerAsync(
        string id, HttpRequest request, CreditLedger ledger, CancellationToken cancellationToken, int? limit = null, long? before = null, string? format = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        if (await ledger.GetAccountAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"No user '{id}'.");
        }
        if (format is not (null or "csv" or "json"))
        {
            return Problems.BadRequest("Unknown format", $"'format' may be 'csv' (the whole ledger as CSV) or 'json' (pages, the default), not '{(format.Length > 20 ? format[..20] : format)}'.");
        }
        if (LedgerCsv.Wanted(request, format))
        {
            return TypedResults.Stream(body => LedgerCsv.WriteAsync(body, ledger, id, request.HttpContext.RequestAborted), LedgerCsv.ContentType,
                $"ledger-{id}.csv");
        }
        var size = limit ?? 50;
        var entries = await ledger.GetEntriesAsync(id, before, size, cancellationToken);
        var page = entries.Select(e => new LedgerEntryResponse(e.Id, e.Amount, e.Kind, e.SourceKind, e.SourceId, e.Reason,
            DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt), [.. e.Lots.Select(p => new EntryLotResponse(p.LotId, p.Amount))])).ToList();
        return TypedResults.Ok(new LedgerPage(id, page, entries.Count == size ? entries[^1].Id : null));
    }
}
