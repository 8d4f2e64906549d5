using Credits.Ledger;

namespace Credits.Stripe;

/// <summary>
/// The operator queue of paid sessions nobody could be matched to. An assignment or a claim by
/// email grants through <see cref="CheckoutFulfillment.AssignAsync"/>, the same per-session key
/// as the webhook, so repeating it grants once.
/// </summary>
public sealed partial class UnmatchedPayments(CreditLedger ledger, CheckoutFulfillment checkout, ILogger<UnmatchedPayments> logger)
{
    public Task<IReadOnlyList<CheckoutPayment>> ListAsync(int limit, CancellationToken cancellationToken) =>
        CheckoutPayments.ListAsync(ledger.Database, PaymentStatus.Unmatched, null, limit, cancellationToken);

    public async Task<Assignment> AssignAsync(string sessionId, string userId, long? credits, CancellationToken cancellationToken)
    {
        if (await CheckoutPayments.GetAsync(ledger.Database, sessionId, cancellationToken) is not { } payment)
        {
            return Assignment.Fail(AssignFailure.NotFound, $"No payment for checkout session '{sessionId}'.");
        }
        if (payment.Status == PaymentStatus.Granted && payment.AccountId != userId)
        {
            return Assignment.Fail(AssignFailure.Conflict, $"Checkout session {sessionId} was already granted to user {payment.AccountId}.");
        }
        if (payment.Status is not (PaymentStatus.Unmatched or PaymentStatus.Granted))
        {
            return Assignment.Fail(AssignFailure.Conflict, $"Checkout session {sessionId} is {payment.Status}, not a paid payment waiting for a user.");
        }
        if ((credits ?? payment.Credits) is not { } amount)
        {
            return Assignment.Fail(AssignFailure.NeedsCredits,
                $"Checkout session {sessionId} has no known credit amount ({payment.Reason}); pass \"credits\" with the assignment.");
        }

        EventOutcome outcome;
        await using (var tx = await ledger.Database.BeginAsync(cancellationToken))
        {
            outcome = await checkout.AssignAsync(tx, payment, userId, amount, "operator assignment", cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        // Another assignment won the race for a different user.
        return outcome.Status == EventStatus.Duplicate && outcome.UserId != userId
            ? Assignment.Fail(AssignFailure.Conflict, $"Checkout session {sessionId} was already granted to user {outcome.UserId}.")
            : new Assignment(AssignFailure.None, null, outcome);
    }

    /// <summary>
    /// Grants the parked payments made with this email to a newly registered account. Returns how many.
    /// Only those parked because nothing named an account (<c>no_account</c>): a payment whose
    /// signals named other accounts waits for an operator, whoever registers the email.
    /// </summary>
    public async Task<int> ClaimByEmailAsync(string userId, string email, CancellationToken cancellationToken)
    {
        var claimed = 0;
        foreach (var payment in await CheckoutPayments.ListAsync(ledger.Database, PaymentStatus.Unmatched, email, 100, cancellationToken))
        {
            if (payment.Credits is not { } credits || payment.ReasonCode is not (null or ParkReasons.NoAccount))
            {
                continue;
            }
            await using var tx = await ledger.Database.BeginAsync(cancellationToken);
            var outcome = await checkout.AssignAsync(tx, payment, userId, credits, $"claimed by email {AccountIds.MaskEmail(email)}", cancellationToken);
            await tx.CommitAsync(cancellationToken);
            if (outcome.Status == EventStatus.Granted)
            {
                claimed++;
                Log.Claimed(logger, payment.SessionId, userId, credits, AccountIds.MaskEmail(email));
            }
        }
        return claimed;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "SUCCESS: {Credits} credits added to user {UserId} (unmatched session {SessionId} claimed by email {Email})")]
        public static partial void Claimed(ILogger logger, string sessionId, string userId, long credits, string email);
    }
}

public enum AssignFailure
{
    None,
    NotFound,
    Conflict,
    NeedsCredits,
}

public sealed record Assignment(AssignFailure Failure, string? Problem, EventOutcome? Outcome)
{
    public static Assignment Fail(AssignFailure failure, string problem) => new(failure, problem, null);
}
