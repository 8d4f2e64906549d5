using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Credits.Ledger.Storage;

namespace Credits.Ledger;

/// <summary>
/// The idempotency_keys table. A key is claimed by INSERT ... ON CONFLICT DO NOTHING inside the
/// transaction that moves the credits, so of two concurrent requests with one key exactly one
/// claims it (PostgreSQL makes the second wait for the first to commit or roll back).
/// </summary>
public static class IdempotencyKeys
{
    public const int MaxLength = 255;

    /// <summary>Printable ASCII, as HTTP header values are in practice.</summary>
    public static bool IsValid(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= MaxLength && key.All(c => c is >= '!' and <= '~');

    /// <summary>The request as it was understood (not its bytes), so whitespace or field order never makes a 409.</summary>
    public static string Hash(string operation, long credits, string? reason) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{operation}\n{credits}\n{reason}")));

    /// <summary>Null when this transaction now owns the key; otherwise what the first request stored.</summary>
    internal static async Task<MovementResult?> ClaimAsync(
        LedgerTransaction tx, string accountId, string key, string operation, string hash, long now, CancellationToken cancellationToken) =>
        await TryClaimAsync(tx, accountId, key, operation, hash, now, cancellationToken) is not { } stored
            ? null
            : stored.RequestHash == hash && stored.Response is { } response
                ? new MovementResult(MovementOutcome.Replayed, JsonSerializer.Deserialize<Movement>(response))
                : new MovementResult(MovementOutcome.KeyReused);

    /// <summary>Null when this transaction now owns the key; otherwise the first request's hash and stored answer, for any kind of answer.</summary>
    internal static async Task<StoredKey?> TryClaimAsync(
        LedgerTransaction tx, string accountId, string key, string operation, string hash, long now, CancellationToken cancellationToken)
    {
        var claimed = await tx.ExecuteAsync(
            """
            INSERT INTO idempotency_keys (account_id, key, operation, request_hash, created_at)
            VALUES (@accountId, @key, @operation, @hash, @now)
            ON CONFLICT (account_id, key) DO NOTHING
            """,
            new { accountId, key, operation, hash, now }, cancellationToken);
        if (claimed == 1)
        {
            return null;
        }
        return await tx.QuerySingleOrDefaultAsync<StoredKey>(
            "SELECT request_hash, response FROM idempotency_keys WHERE account_id = @accountId AND key = @key",
            new { accountId, key }, cancellationToken)
            ?? throw new InvalidOperationException($"Idempotency key '{key}' conflicted but cannot be read back.");
    }

    /// <summary>Undoes this transaction's claim of a key whose request was refused.</summary>
    internal static Task ReleaseAsync(LedgerTransaction tx, string accountId, string key, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            "DELETE FROM idempotency_keys WHERE account_id = @accountId AND key = @key AND response IS NULL",
            new { accountId, key }, cancellationToken);

    internal static Task CompleteAsync(LedgerTransaction tx, string key, Movement movement, CancellationToken cancellationToken) =>
        CompleteAsync(tx, movement.AccountId, key, JsonSerializer.Serialize(movement), cancellationToken);

    internal static Task CompleteAsync(LedgerTransaction tx, string accountId, string key, string response, CancellationToken cancellationToken) =>
        tx.ExecuteAsync(
            "UPDATE idempotency_keys SET status_code = 200, response = @response WHERE account_id = @accountId AND key = @key",
            new { accountId, key, response }, cancellationToken);

    internal sealed class StoredKey
    {
        public required string RequestHash { get; init; }
        public string? Response { get; init; }
    }
}
