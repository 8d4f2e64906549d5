namespace Credits.Tests.Infrastructure;

/// <summary>
/// Tests that run credits.dll in separate processes and load it hard. They run one class at a
/// time and not beside the rest of the suite, so their CPU use does not starve other tests (or
/// each other) on a small CI machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealServerCollection
{
    public const string Name = "Real server processes";
}
