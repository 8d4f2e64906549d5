namespace Credits.Reconciliation;

/// <summary>What one pass over Stripe's events found: how many were checked, over how many pages.</summary>
public sealed record ReconcileReport(int Checked, int Pages, IReadOnlyList<ReconcileFinding> Findings);
