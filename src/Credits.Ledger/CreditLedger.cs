using Credits.Ledger.Storage;
using Dapper;

namespace Credits.Ledger;

/// <summary>
/// Accounts and their append-only ledger. Every balance change is a ledger row and a balance
/// update in the same transaction, so balance == sum(entries) holds at every commit.
/// </summary>
public sealed class CreditLedger(LedgerDatabase database, TimeProvider time)
{
    private const string AccountSql =
        $"SELECT id, email, balance, {Holds.HeldSql} AS held, {Lots.ExpiredReadSql} AS expired, debt, created_at, updated_at FROM accounts WHERE id = @accountId";

    /// <summary>The columns a ledger row is written with; every INSERT INTO ledger_entries, fast path or not, lists these.</summary>
    public const string EntryColumns = "account_id, amount, kind, source_kind, source_id, reason, created_at";

    /// <summary>
    /// How crediting an account that may not exist yet resolves: an INSERT INTO accounts
    /// (<see cref="AccountColumns"/>) whose conflict adds the balance and keeps an email already known.
    /// </summary>
    public const string AccountColumns = "id, email, balance, created_at, updated_at";

    public const string CreditOnConflict =
        """
        ON CONFLICT (id) DO UPDATE SET
            balance = accounts.balance + excluded.balance,
            email = COALESCE(accounts.email, excluded.email),
            updated_at = excluded.updated_at
        RETURNING balance
        """;

    public LedgerDatabase Database { get; } = database;

    public long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Creates the account or sets its email. True when it was created.</summary>
    public async Task<bool> UpsertAccountAsync(LedgerTransaction tx, string accountId, string? email, CancellationToken cancellationToken)
    {
        var created = await tx.ExecuteAsync(
            $"""
            INSERT INTO accounts ({AccountColumns})
            VALUES (@accountId, @email, 0, @now, @now)
            ON CONFLICT (id) DO NOTHING
            """,
            new { accountId, email, now = Now() }, cancellationToken);
        if (created == 0)
        {
            await tx.ExecuteAsync(
                "UPDATE accounts SET email = @email, updated_at = @now WHERE id = @accountId",
                new { accountId, email, now = Now() }, cancellationToken);
        }
        return created == 1;
    }

    /// <summary>
    /// Writes the entry and moves the balance, unless this source was already posted: the
    /// unique (source_kind, source_id) constraint decides, not a prior lookup.
    /// A credit makes a lot (or goes where <paramref name="lots"/> says); a debit takes from lots, the
    /// purchase's own first when <see cref="LotTerms.TakeFirstFrom"/> names it, and leaves as debt what they lack.
    /// </summary>
    public async Task<PostingResult> PostAsync(LedgerTransaction tx, Posting posting, CancellationToken cancellationToken, LotTerms? lots = null)
    {
        var now = Now();
        if (await TryInsertEntryAsync(tx, posting, now, cancellationToken) is not { } entryId)
        {
            return new PostingResult(false, await BalanceAsync(tx, posting.AccountId, cancellationToken));
        }
        var balance = await tx.QuerySingleOrDefaultAsync<long>(
            "UPDATE accounts SET balance = balance + @Amount, updated_at = @now WHERE id = @AccountId RETURNING balance",
            new { posting.AccountId, posting.Amount, now }, cancellationToken);
        var slices = await Lots.ApplyAsync(tx, entryId, posting, lots, now, cancellationToken);
        return new PostingResult(true, balance, slices, entryId);
    }

    /// <summary>
    /// Credits an account for a source the caller has just claimed through a gate of its own
    /// (a Checkout Session moving to granted), creating the account if needed: one upsert that
    /// moves the balance, then the ledger row, which fails the transaction if the source was
    /// somehow posted already, and the credit's lot (<paramref name="lots"/>), paying any debt first.
    /// </summary>
    public async Task<long> CreateOrCreditAccountAsync(LedgerTransaction tx, Posting posting, LotTerms lots, string? email, CancellationToken cancellationToken)
    {
        var now = Now();
        var balance = await tx.QuerySingleOrDefaultAsync<long>(
            $"""
            INSERT INTO accounts ({AccountColumns})
            VALUES (@AccountId, @email, @Amount, @now, @now)
            {CreditOnConflict}
            """,
            new { posting.AccountId, posting.Amount, email, now }, cancellationToken);
        var entryId = await InsertEntryAsync(tx, posting, now, cancellationToken);
        await Lots.GrantAsync(tx, entryId, posting.AccountId, posting.Amount, lots, posting.SourceKind, posting.SourceId, now, cancellationToken);
        return balance;
    }

    /// <summary>
    /// The ledger row of a movement whose balance change was just made behind a gate of its own
    /// (a conditional UPDATE, a claimed key or session). Its source is unique; a clash means the
    /// gate failed, so it throws and the whole transaction aborts.
    /// </summary>
    internal static async Task<long> InsertEntryAsync(LedgerTransaction tx, Posting posting, long now, CancellationToken cancellationToken) =>
        await TryInsertEntryAsync(tx, posting, now, cancellationToken)
        ?? throw new InvalidOperationException($"Ledger source {posting.SourceKind}/{posting.SourceId} was already posted.");

    /// <summary>The one statement that writes a ledger row; null when its source was already posted.</summary>
    private static Task<long?> TryInsertEntryAsync(LedgerTransaction tx, Posting posting, long now, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<long?>(
            $"""
            INSERT INTO ledger_entries ({EntryColumns})
            VALUES (@AccountId, @Amount, @Kind, @SourceKind, @SourceId, @Reason, @now)
            ON CONFLICT (source_kind, source_id) DO NOTHING
            RETURNING id
            """,
            new { posting.AccountId, posting.Amount, posting.Kind, posting.SourceKind, posting.SourceId, posting.Reason, now },
            cancellationToken);

    public Task<long> BalanceAsync(LedgerTransaction tx, string accountId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<long>("SELECT balance FROM accounts WHERE id = @accountId", new { accountId }, cancellationToken);

    public Task<Account?> GetAccountAsync(string accountId, CancellationToken cancellationToken) =>
        Database.ReadAsync(c => c.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            AccountSql, new { accountId, now = Now() }, cancellationToken: cancellationToken)), cancellationToken);

    public Task<Account?> GetAccountAsync(LedgerTransaction tx, string accountId, CancellationToken cancellationToken) =>
        tx.QuerySingleOrDefaultAsync<Account>(
            AccountSql, new { accountId, now = Now() }, cancellationToken);

    /// <summary>Accounts registered with this (normalised) email; more than one means it is ambiguous.</summary>
    public async Task<IReadOnlyList<string>> FindAccountsByEmailAsync(LedgerTransaction tx, string email, CancellationToken cancellationToken) =>
        [.. await tx.QueryAsync<string>("SELECT id FROM accounts WHERE email = @email ORDER BY id LIMIT 2", new { email }, cancellationToken)];

    /// <summary>Newest first; pass the smallest id seen as <paramref name="before"/> for the next page.</summary>
    /// <remarks>Each entry carries the lots it took from or added to.</remarks>
    public Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync(string accountId, long? before, int limit, CancellationToken cancellationToken) =>
        Database.ReadAsync<IReadOnlyList<LedgerEntry>>(async c =>
        {
            var entries = (await c.QueryAsync<LedgerEntry>(new CommandDefinition(
                """
                SELECT id, account_id, amount, kind, source_kind, source_id, reason, created_at
                FROM ledger_entries
                WHERE account_id = @accountId AND id < @before
                ORDER BY id DESC
                LIMIT @limit
                """,
                new { accountId, before = before ?? long.MaxValue, limit }, cancellationToken: cancellationToken))).ToList();
            var parts = await Lots.PartsAsync(c, [.. entries.Select(e => e.Id)], cancellationToken);
            return [.. entries.Select(e => e with { Lots = [.. parts[e.Id]] })];
        }, cancellationToken);
}

/// <summary>
/// One movement of credits. <see cref="SourceKind"/> + <see cref="SourceId"/> name what caused it
/// (a checkout session, a refund, an idempotency key) and are unique across the ledger.
/// </summary>
public sealed record Posting(string AccountId, long Amount, string Kind, string SourceKind, string SourceId, string? Reason = null);

/// <summary><see cref="Posted"/> is false when the source had already been posted; nothing changed then.</summary>
public readonly record struct PostingResult(bool Posted, long Balance, IReadOnlyList<LotSlice>? Lots = null, long EntryId = 0);
