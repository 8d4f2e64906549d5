namespace Credits.Reconciliation;

public sealed record LedgerCheckResult(LedgerCheck Check, IReadOnlyList<string> Problems)
{
    public bool Holds => Problems.Count == 0;
}
