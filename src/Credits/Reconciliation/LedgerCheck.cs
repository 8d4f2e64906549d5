using System.Data.Common;

namespace Credits.Reconciliation;

/// <summary>One named invariant of <c>credits verify</c>: finds its violations as sentences; none means it holds.</summary>
public sealed record LedgerCheck(string Name, string Description, Func<DbConnection, CancellationToken, Task<IReadOnlyList<string>>> FindProblemsAsync);
