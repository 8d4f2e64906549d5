namespace Credits.Ledger.Webhooks;

/// <summary>
/// The outbox messages of the API's money movements. <c>data.source</c> says what moved the
/// credits (the ledger source kind), so a platform can tell a spend from a hold's capture.
/// </summary>
public static class LedgerChanges
{
    /// <summary>A spend (credits.spent) or a manual grant (credits.granted) through the API.</summary>
    public static OutboxChange Moved(Movement movement)
    {
        var spent = movement.Kind == Spending.SpendKind;
        var after = movement.Balance - movement.Held;
        return new OutboxChange(spent ? WebhookEventTypes.CreditsSpent : WebhookEventTypes.CreditsGranted, movement.AccountId,
            new
            {
                account_id = movement.AccountId,
                credits = movement.Credits,
                balance = movement.Balance,
                available = after,
                source = movement.Kind,
                reason = movement.Reason,
                ledger_entry_id = movement.EntryId,
            },
            spent ? new Crossing(after + movement.Credits, after, movement.Balance) : null);
    }

    /// <summary>A hold's capture: credits.spent. The available balance before counts the hold's own credits as reserved.</summary>
    public static OutboxChange Captured(Hold hold, long amount, Funds after) =>
        new(WebhookEventTypes.CreditsSpent, hold.AccountId,
            new
            {
                account_id = hold.AccountId,
                credits = amount,
                balance = after.Balance,
                available = after.Available,
                source = Holds.CaptureSourceKind,
                hold_id = hold.Id,
            },
            new Crossing(after.Available + amount - hold.Credits, after.Available, after.Balance));

    /// <summary>
    /// A new hold lowers the available balance without a ledger row, so it only reports a
    /// balance.low crossing.
    /// </summary>
    public static OutboxChange HoldPlaced(Hold hold, Funds after) =>
        new(null, hold.AccountId, new { }, new Crossing(after.Available + hold.Credits, after.Available, after.Balance));

    /// <summary>A transfer is the platform's own request, answered with both balances; it reports only the sender's balance.low crossing.</summary>
    public static OutboxChange TransferredOut(string accountId, long credits, Funds after) =>
        new(null, accountId, new { }, new Crossing(after.Available + credits, after.Available, after.Balance));

    /// <summary>
    /// A lot's remainder booked as expired by the sweep (credits.expired). The sweep skips accounts
    /// with active holds, so the available balance equals the balance here.
    /// </summary>
    public static OutboxChange Expired(string accountId, long lotId, long credits, long entryId, long balance) =>
        new(WebhookEventTypes.CreditsExpired, accountId,
            new
            {
                account_id = accountId,
                credits,
                balance,
                available = balance,
                lot_id = lotId,
                ledger_entry_id = entryId,
            },
            new Crossing(balance + credits, balance, balance));

    /// <summary>
    /// A lot that expires within the warning window (credits.expiring_soon), once per lot. It moves
    /// nothing, so it carries no balance.low crossing.
    /// </summary>
    public static OutboxChange ExpiringSoon(string accountId, long lotId, long credits, long expiresAt, string category, long balance) =>
        new(WebhookEventTypes.CreditsExpiringSoon, accountId,
            new
            {
                account_id = accountId,
                credits,
                balance,
                lot_id = lotId,
                category,
                expires_at = DateTimeOffset.FromUnixTimeMilliseconds(expiresAt),
            });
}
