namespace Credits.Reconciliation;

/// <summary>What one pass over Stripe's events found: how many were checked, over how many pages.</summary>
public sealed record ReconcileReport(int Checked, int Pages, IReadOnlyList<ReconcileFinding> Findings);

/// <summary>
/// One Stripe event the ledger misses or disagrees with. <see cref="Json"/> is the event exactly
/// as Stripe listed it, which is what <c>--apply</c> hands to the webhook's processor.
/// </summary>
public sealed record ReconcileFinding(string EventId, string Type, long? Created, string? ObjectId, string Kind, string Detail, string Json)
{
    /// <summary>Stripe has it, we never stored it (the webhook never arrived or was refused).</summary>
    public const string Missing = "missing";

    /// <summary>Stored, but its processing failed and was never finished.</summary>
    public const string Failed = "failed";

    /// <summary>Stored and processed, but what we hold contradicts Stripe (needs a person).</summary>
    public const string Disagrees = "disagrees";

    /// <summary>Missing and failed events are what <c>--apply</c> can process.</summary>
    public bool Applicable => Kind is Missing or Failed;
}
