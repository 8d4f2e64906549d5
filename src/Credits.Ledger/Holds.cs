using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Dapper;

namespace Credits.Ledger;

/// <summary>
/// Reserve credits before work, then capture (charge all or part) or release them. A hold moves
/// accounts.held and reserves specific lots (<see cref="HoldLots"/>), never the balance; only a
/// capture writes a ledger row. Expired holds are released by the next spend or hold on the
/// account (<see cref="ExpireAsync"/>) and are never counted by reads, so no background job is needed. Each step takes an Idempotency-Key (required
/// to place, optional to capture or release), claimed in the same transaction as the change: the
/// same key and request replay the first answer, the same key with another request is refused.
/// </summary>
public sealed class Holds(CreditLedger ledger)
{
    public const string CaptureSourceKind = "hold_capture";
    public const string PlaceOperation = "hold";
    public const string CaptureOperation = "hold_capture";
    public const string ReleaseOperation = "hold_release";

    /// <summary>What reads report as held: active holds not yet past expiry (needs @now).</summary>
    public const string HeldSql =
        "CAST(COALESCE((SELECT SUM(h.credits) FROM holds h WHERE h.account_id = accounts.id AND h.status = 'active' AND h.expires_at > @now), 0) AS bigint)";

    private const string Columns = "id, account_id, credits, status, captured, expires_at, created_at, updated_at";

    /// <summary>A refusal (too little available, no such account) commits nothing, so the key stays free for a retry.</summary>
    public async Task<HoldResult> PlaceAsync(string accountId, string key, long credits, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (credits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), credits, "Credits must be positive.");
        }
        var now = ledger.Now();
        await using var tx = await ledger.Database.BeginAsync(cancellationToken);
        var hash = IdempotencyKeys.Hash(PlaceOperation, credits, ((long)ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        if (await IdempotencyKeys.TryClaimAsync(tx, accountId, key, PlaceOperation, hash, now, cancellationToken) is { } stored)
        {
            return Earlier(stored, hash);
        }
        await ExpireAsync(tx, accountId, now, onlyIfDue: true, cancellationToken);
        var funds = await tx.QuerySingleOrDefaultAsync<Funds>(
            $"""
            UPDATE accounts SET held = held + @credits, updated_at = @now
            WHERE id = @accountId AND {Lots.Spendable} >= @credits
            RETURNING balance, held, {Lots.ExpiredSql} AS expired
            """,
            new { accountId, credits, now }, cancellationToken);
        if (funds is null)
        {
            return await Spending.FundsAsync(tx, accountId, now, cancellationToken) is { } current
                ? new HoldResult(HoldOutcome.Insufficient, Funds: current)
                : new HoldResult(HoldOutcome.UnknownAccount);
        }
        var hold = new Hold
        {
            Id = $"hold_{Guid.CreateVersion7():N}",
            AccountId = accountId,
            Credits = credits,
            Status = HoldStatus.Active,
            ExpiresAt = now + (long)ttl.TotalMilliseconds,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await tx.ExecuteAsync(
            $"INSERT INTO holds ({Columns}) VALUES (@Id, @AccountId, @Credits, @Status, 0, @ExpiresAt, @CreatedAt, @UpdatedAt)",
            hold, cancellationToken);
        await HoldLots.ReserveAsync(tx, hold.Id, accountId, credits, now, cancellationToken);
        await Outbox.EnqueueAsync(tx, LedgerChanges.HoldPlaced(hold, funds), now, cancellationToken);
        return await CommitAsync(tx, accountId, key, new HoldResult(HoldOutcome.Placed, hold, funds), cancellationToken);
    }

    /// <summary>Charges <paramref name="credits"/> (all when null) and gives the rest back, in one transaction.</summary>
    public async Task<HoldResult> CaptureAsync(string holdId, long? credits, string? key, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        await using var tx = await ledger.Database.BeginAsync(cancellationToken);
        if (await GetAsync(tx, holdId, cancellationToken) is not { } hold)
        {
            return new HoldResult(HoldOutcome.NotFound);
        }
        // A capture of the whole hold is one request however it is written (no body, or its credits).
        var hash = IdempotencyKeys.Hash($"{CaptureOperation}\n{holdId}", credits ?? hold.Credits, null);
        if (key is not null && await IdempotencyKeys.TryClaimAsync(tx, hold.AccountId, key, CaptureOperation, hash, now, cancellationToken) is { } stored)
        {
            return Earlier(stored, hash);
        }
        var amount = credits ?? hold.Credits;
        if (amount <= 0 || amount > hold.Credits)
        {
            return new HoldResult(HoldOutcome.MoreThanHeld, hold.AsOf(now));
        }
        await ExpireAsync(tx, hold.AccountId, now, onlyIfDue: false, cancellationToken);
        if (!await SettleAsync(tx, holdId, HoldStatus.Captured, amount, now, cancellationToken))
        {
            return await AlreadySettledAsync(tx, holdId, HoldStatus.Captured, credits, key, now, cancellationToken);
        }
        // The hold's own credits count as available to it. A reversal since it was placed may
        // leave too little; then nothing is charged and the hold stays active.
        var funds = await tx.QuerySingleOrDefaultAsync<Funds>(
            $"""
            UPDATE accounts SET balance = balance - @amount, held = held - @Credits, updated_at = @now
            WHERE id = @AccountId AND balance - held + @Credits >= @amount
            RETURNING balance, held, {Lots.ExpiredSql} AS expired
            """,
            new { amount, hold.Credits, hold.AccountId, now }, cancellationToken);
        if (funds is null)
        {
            return new HoldResult(HoldOutcome.Insufficient, hold.AsOf(now), await Spending.FundsAsync(tx, hold.AccountId, now, cancellationToken));
        }
        var entryId = await CreditLedger.InsertEntryAsync(tx,
            new Posting(hold.AccountId, -amount, Spending.SpendKind, CaptureSourceKind, hold.Id, $"captured {amount} of {hold.Credits} held"),
            now, cancellationToken);
        // Credits held before a lot expired stay capturable: the capture takes from the hold's own lots first.
        await HoldLots.CaptureAsync(tx, entryId, hold.Id, hold.AccountId, amount, now, cancellationToken);
        await Outbox.EnqueueAsync(tx, LedgerChanges.Captured(hold, amount, funds), now, cancellationToken);
        return await CommitAsync(tx, hold.AccountId, key,
            new HoldResult(HoldOutcome.Captured, hold with { Status = HoldStatus.Captured, Captured = amount, UpdatedAt = now }, funds), cancellationToken);
    }

    public async Task<HoldResult> ReleaseAsync(string holdId, string? key, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        await using var tx = await ledger.Database.BeginAsync(cancellationToken);
        if (await GetAsync(tx, holdId, cancellationToken) is not { } hold)
        {
            return new HoldResult(HoldOutcome.NotFound);
        }
        var hash = IdempotencyKeys.Hash($"{ReleaseOperation}\n{holdId}", 0, null);
        if (key is not null && await IdempotencyKeys.TryClaimAsync(tx, hold.AccountId, key, ReleaseOperation, hash, now, cancellationToken) is { } stored)
        {
            return Earlier(stored, hash);
        }
        await ExpireAsync(tx, hold.AccountId, now, onlyIfDue: false, cancellationToken);
        if (!await SettleAsync(tx, holdId, HoldStatus.Released, 0, now, cancellationToken))
        {
            return await AlreadySettledAsync(tx, holdId, HoldStatus.Released, null, key, now, cancellationToken);
        }
        await HoldLots.ReleaseAsync(tx, holdId, cancellationToken);
        var funds = await tx.QuerySingleOrDefaultAsync<Funds>(
            $"UPDATE accounts SET held = held - @Credits, updated_at = @now WHERE id = @AccountId RETURNING balance, held, {Lots.ExpiredSql} AS expired",
            new { hold.Credits, hold.AccountId, now }, cancellationToken);
        return await CommitAsync(tx, hold.AccountId, key, new HoldResult(HoldOutcome.Released, hold with { Status = HoldStatus.Released, UpdatedAt = now }, funds),
            cancellationToken);
    }

    public async Task<Hold?> GetAsync(string holdId, CancellationToken cancellationToken)
    {
        var now = ledger.Now();
        var hold = await ledger.Database.ReadAsync(c => c.QuerySingleOrDefaultAsync<Hold>(new CommandDefinition(
            $"SELECT {Columns} FROM holds WHERE id = @holdId", new { holdId }, cancellationToken: cancellationToken)), cancellationToken);
        return hold?.AsOf(now);
    }

    /// <summary>
    /// Releases the account's holds that are past expiry, so their credits are available again.
    /// Spends and new holds call it first (<paramref name="onlyIfDue"/>: a plain read skips all
    /// writes when nothing is due, keeping the account row's lock short); captures and releases
    /// always run it. Whenever it writes it locks the account row first, so every transaction that
    /// touches holds takes its locks in one order (account, then holds) and none can deadlock.
    /// </summary>
    internal static async Task ExpireAsync(LedgerTransaction tx, string accountId, long now, bool onlyIfDue, CancellationToken cancellationToken)
    {
        var args = new { accountId, now };
        if (onlyIfDue && await tx.QuerySingleOrDefaultAsync<long?>(
            "SELECT 1 FROM holds WHERE account_id = @accountId AND status = 'active' AND expires_at <= @now LIMIT 1", args, cancellationToken) is null)
        {
            return;
        }
        await tx.ExecuteAsync("UPDATE accounts SET updated_at = @now WHERE id = @accountId", args, cancellationToken);
        var expired = (await tx.QueryAsync<Hold>(
            $"""
            UPDATE holds SET status = 'expired', updated_at = @now
            WHERE account_id = @accountId AND status = 'active' AND expires_at <= @now
            RETURNING {Columns}
            """,
            args, cancellationToken)).ToList();
        foreach (var hold in expired)
        {
            await HoldLots.ReleaseAsync(tx, hold.Id, cancellationToken);
        }
        var freed = expired.Sum(h => h.Credits);
        if (freed > 0)
        {
            await tx.ExecuteAsync("UPDATE accounts SET held = held - @freed WHERE id = @accountId", new { accountId, freed }, cancellationToken);
        }
    }

    private static Task<Hold?> GetAsync(LedgerTransaction tx, string holdId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<Hold>($"SELECT {Columns} FROM holds WHERE id = @holdId", new { holdId }, cancellationToken);

    /// <summary>The one conditional step that lets a single capture or release win: active and not expired.</summary>
    private static async Task<bool> SettleAsync(
        LedgerTransaction tx, string holdId, string status, long captured, long now, CancellationToken cancellationToken) =>
        await tx.ExecuteAsync(
            """
            UPDATE holds SET status = @status, captured = @captured, updated_at = @now
            WHERE id = @holdId AND status = 'active' AND expires_at > @now
            """,
            new { holdId, status, captured, now }, cancellationToken) == 1;

    /// <summary>
    /// Someone else settled the hold first, or it expired (and the sweep just released it). Asking
    /// again for what already happened (a retry) is answered as it stands; anything else is refused.
    /// </summary>
    private static async Task<HoldResult> AlreadySettledAsync(
        LedgerTransaction tx, string holdId, string wanted, long? credits, string? key, long now, CancellationToken cancellationToken)
    {
        var hold = (await GetAsync(tx, holdId, cancellationToken))!.AsOf(now);
        var funds = await Spending.FundsAsync(tx, hold.AccountId, now, cancellationToken);
        var retry = hold.Status == wanted && (credits is null || credits == hold.Captured)
            || (wanted == HoldStatus.Released && hold.Status == HoldStatus.Expired);
        var result = new HoldResult(retry ? HoldOutcome.Unchanged : HoldOutcome.Settled, hold, funds);
        if (retry)
        {
            return await CommitAsync(tx, hold.AccountId, key, result, cancellationToken);
        }
        // The sweep's writes are kept; a refusal is not remembered, so the key is given back.
        if (key is not null)
        {
            await IdempotencyKeys.ReleaseAsync(tx, hold.AccountId, key, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Stores the answer with the key (when there is one) and commits it with the change.</summary>
    private static async Task<HoldResult> CommitAsync(LedgerTransaction tx, string accountId, string? key, HoldResult result, CancellationToken cancellationToken)
    {
        if (key is not null)
        {
            await IdempotencyKeys.CompleteAsync(tx, accountId, key, JsonSerializer.Serialize(result), cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>The key was used before: its first answer when the request is the same, else a refusal.</summary>
    private static HoldResult Earlier(IdempotencyKeys.StoredKey stored, string hash) =>
        stored.RequestHash == hash && stored.Response is { } response && JsonSerializer.Deserialize<HoldResult>(response) is { } first
            ? first with { Replayed = true }
            : new HoldResult(HoldOutcome.KeyReused);
}

/// <summary>Credits reserved before work. Times are unix milliseconds.</summary>
public sealed record Hold
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public long Credits { get; init; }
    public required string Status { get; init; }
    public long Captured { get; init; }
    public long ExpiresAt { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }

    /// <summary>An active hold past its expiry is expired, whether or not a write has swept it yet.</summary>
    public Hold AsOf(long now) => Status == HoldStatus.Active && ExpiresAt <= now ? this with { Status = HoldStatus.Expired } : this;
}

/// <summary>
/// <see cref="Funds"/> is the account after the change, or at the refusal for Insufficient.
/// <see cref="Replayed"/>: the first answer given to this Idempotency-Key, repeated; nothing changed now.
/// </summary>
public sealed record HoldResult(HoldOutcome Outcome, Hold? Hold = null, Funds? Funds = null, bool Replayed = false);

/// <summary>Stored by name with an Idempotency-Key's answer, so adding an outcome never changes a stored one.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HoldOutcome>))]
public enum HoldOutcome
{
    Placed,
    Captured,
    Released,

    /// <summary>The hold had already reached the state asked for (a retried capture or release): nothing changed.</summary>
    Unchanged,

    /// <summary>The hold is captured, released or expired, so it cannot be captured or released now.</summary>
    Settled,

    /// <summary>The capture asks for more credits than the hold reserved.</summary>
    MoreThanHeld,

    Insufficient,
    UnknownAccount,
    NotFound,

    /// <summary>The Idempotency-Key was used before for another request (or operation): refused, nothing changed.</summary>
    KeyReused,
}

public static class HoldStatus
{
    public const string Active = "active";
    public const string Captured = "captured";
    public const string Released = "released";
    public const string Expired = "expired";
}
