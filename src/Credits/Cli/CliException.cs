namespace Credits.Cli;

/// <summary>A failure the command reports as one sentence (no stack trace), with its exit code: 1 failed, 2 bad flag or setting.</summary>
public sealed class CliException(string message, int exitCode = CliException.Failed) : Exception(message)
{
    public const int Failed = 1;
    public const int Usage = 2;

    public int ExitCode { get; } = exitCode;
}
