namespace Credits.Ledger.Storage;

/// <summary>A DATABASE_URL that cannot be used; the message is one sentence naming the part to fix.</summary>
public sealed class DatabaseUrlException(string message) : FormatException(message);
