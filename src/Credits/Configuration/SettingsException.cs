namespace Credits.Configuration;

/// <summary>A setting or secret file Credits refuses to start with; the message is one sentence saying what to do.</summary>
public sealed class SettingsException(string message) : Exception(message);
