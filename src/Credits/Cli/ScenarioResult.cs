namespace Credits.Cli;

/// <summary>One row of the <c>credits simulate</c> table.</summary>
public sealed record ScenarioResult(string Name, bool Passed, string Expected, string Got);
