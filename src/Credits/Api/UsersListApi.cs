using Credits.Ledger;
using Credits.Ledger.Storage;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Api;

/// <summary><c>GET /api/users?limit=N[&amp;email=]</c>: accounts, newest first, for <c>credits users list</c>.</summary>
public static class UsersListApi
{
    public static RouteGroupBuilder MapUsersListApi(this RouteGroupBuilder api)
    {
        api.MapGet("/users", ListAsync).WithTags("Users");
        return api;
    }

    public sealed record UserList(IReadOnlyList<UsersApi.UserResponse> Users);

    private static async Task<Results<Ok<UserList>, ProblemHttpResult>> ListAsync(
        LedgerDatabase database, CancellationToken cancellationToken, int? limit = null, string? email = null)
    {
        if (Problems.InvalidLimit(limit) is { } invalid)
        {
            return invalid;
        }
        string? normalized = null;
        if (!string.IsNullOrWhiteSpace(email) && (normalized = AccountIds.NormalizeEmail(email)) is null)
        {
            return Problems.BadRequest("Invalid email", $"'{email}' is not an email address.");
        }
        var accounts = await database.ReadAsync(c => c.QueryAsync<Account>(new CommandDefinition(
            """
            SELECT id, email, balance, created_at, updated_at FROM accounts
            WHERE @email IS NULL OR email = @email
            ORDER BY created_at DESC, id DESC
            LIMIT @limit
            """, new { email = normalized, limit = limit ?? 50 }, cancellationToken: cancellationToken)), cancellationToken);
        return TypedResults.Ok(new UserList([.. accounts.Select(a => UsersApi.UserResponse.From(a))]));
    }
}
