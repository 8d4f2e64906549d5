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

    /// <summary>available = balance - held: what a spend or a new hold may take now.</summary>
    public sealed record UserResponse(string Id, string? Email, long Balance, long Held, long Available, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static UserResponse From(Account account) => new(account.Id, account.Email, account.Balance, account.Held, account.Available,
            DateTimeOffset.FromUnixTimeMilliseconds(account.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(account.UpdatedAt));
    }

    public sealed record LedgerEntryResponse(long Id, long Amount, string Kind, string SourceKind, string SourceId, string? Reason, DateTimeOffset CreatedAt);

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

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetAsync(string id, CreditLedger ledger, CancellationToken cancellationToken) =>
        await ledger.GetAccountAsync(id, cancellationToken) is { } account
            ? TypedResults.Ok(UserResponse.From(account))
            : Problems.NotFound($"No user '{id}'. Create it with PUT /api/users/{id}, or it appears with its first purchase.");

    private static async Task<Results<Ok<LedgerPage>, ProblemHttpResult>> LedgerAsync(
        string id, CreditLedger ledger, CancellationToken cancellationToken, int? limit = null, long? before = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        if (await ledger.GetAccountAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"No user '{id}'.");
        }
        var size = limit ?? 50;
        var entries = await ledger.GetEntriesAsync(id, before, size, cancellationToken);
        var page = entries.Select(e => new LedgerEntryResponse(e.Id, e.Amount, e.Kind, e.SourceKind, e.SourceId, e.Reason,
            DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt))).ToList();
        return TypedResults.Ok(new LedgerPage(id, page, entries.Count == size ? entries[^1].Id : null));
    }
}
