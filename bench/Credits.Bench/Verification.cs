namespace Credits.Bench;

/// <summary>How the accounts moved against what the 2xx answers promised; any mismatch fails the run.</summary>
public sealed record Verification(int Accounts, long Moved, long Promised, IReadOnlyList<string> Mismatches)
{
    public bool Ok => Mismatches.Count == 0;
}
