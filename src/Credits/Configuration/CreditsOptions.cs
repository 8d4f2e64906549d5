using Microsoft.Extensions.Configuration;

namespace Credits.Configuration;

/// <summary>The settings of the README configuration table; each can also be set in appsettings or on the command line.</summary>
public sealed class CreditsOptions
{
    [ConfigurationKeyName("STRIPE_WEBHOOK_SECRET")]
    public string? StripeWebhookSecret { get; set; }

    [ConfigurationKeyName("STRIPE_SECRET_KEY")]
    public string? StripeSecretKey { get; set; }

    [ConfigurationKeyName("STRIPE_API_BASE")]
    public string StripeApiBase { get; set; } = "https://api.stripe.com";

    [ConfigurationKeyName("DATABASE_URL")]
    public string? DatabaseUrl { get; set; }

    [ConfigurationKeyName("CREDITS_DATA_DIR")]
    public string DataDirectory { get; set; } = "./data";

    [ConfigurationKeyName("CREDITS_API_KEY")]
    public string? ApiKey { get; set; }

    /// <summary>Unset accepts both modes.</summary>
    [ConfigurationKeyName("CREDITS_LIVEMODE")]
    public bool? Livemode { get; set; }

    public const string CreateUnknownAccounts = "create";
    public const string ParkUnknownAccounts = "park";

    /// <summary>What a payment naming an account id Credits has never seen does, when nothing else disagrees: create it, or park it.</summary>
    [ConfigurationKeyName("CREDITS_UNKNOWN_ACCOUNTS")]
    public string UnknownAccounts { get; set; } = CreateUnknownAccounts;

    /// <summary>How long one database command may take before the request fails with 503.</summary>
    [ConfigurationKeyName("CREDITS_DB_TIMEOUT_SECONDS")]
    public int DatabaseTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// PostgreSQL: how many group-commit transactions may be open at once. One shares each commit
    /// among the most requests and measured best on 2 cores (docs/benchmarks.md); more lanes let
    /// one instance use more of a bigger database server.
    /// </summary>
    [ConfigurationKeyName("CREDITS_WRITE_LANES")]
    public int WriteLanes { get; set; } = 1;

    /// <summary>Most requests one group-commit transaction carries.</summary>
    [ConfigurationKeyName("CREDITS_MAX_BATCH")]
    public int MaxBatch { get; set; } = 128;

    /// <summary>A direct (not pooled) URL for schema migrations, like Prisma's directUrl; unset: DATABASE_URL.</summary>
    [ConfigurationKeyName("CREDITS_MIGRATION_DATABASE_URL")]
    public string? MigrationDatabaseUrl { get; set; }

    /// <summary>"transaction" behind a transaction-mode pooler (PgBouncer, Supavisor): pooler-safe mode, as pgbouncer=true in DATABASE_URL.</summary>
    [ConfigurationKeyName("CREDITS_DB_POOLER")]
    public string? DatabasePooler { get; set; }

    public bool TransactionPooler => string.Equals(DatabasePooler?.Trim(), "transaction", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// "false" turns off PostgreSQL's one-statement fast paths (a granted checkout, a spend or
    /// grant): every request takes the per-statement path, which gives the same answers and rows,
    /// more slowly. For ruling the fast paths out when looking into a problem; test.sh runs the
    /// PostgreSQL tests both ways.
    /// </summary>
    [ConfigurationKeyName("CREDITS_FAST_PATHS")]
    public string? FastPathsSetting { get; set; }

    public bool FastPaths => !string.Equals(FastPathsSetting?.Trim(), "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// "false" turns off the PostgreSQL statement pipeline of group commit: the work items sharing a
    /// transaction send their statements one item after another instead of together. Same answers
    /// and rows; kept to measure what the pipeline buys (bench/ab.sh pg CREDITS_PIPELINE=false).
    /// </summary>
    [ConfigurationKeyName("CREDITS_PIPELINE")]
    public string? PipelineSetting { get; set; }

    public bool Pipeline => !string.Equals(PipelineSetting?.Trim(), "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>How long SIGTERM waits for in-flight requests before the process exits (under Render's 30 s).</summary>
    [ConfigurationKeyName("CREDITS_SHUTDOWN_SECONDS")]
    public int ShutdownSeconds { get; set; } = 25;

    /// <summary>How often the server books expired credit lots; 0 turns the sweep off (then run <c>credits expire</c> from cron).</summary>
    [ConfigurationKeyName("CREDITS_EXPIRY_SWEEP_SECONDS")]
    public int ExpirySweepSeconds { get; set; } = 60;

    public const string PortVariable = "PORT";

    /// <summary>Set by hosting platforms; used only when --urls is not given (see <see cref="PortUrl"/>).</summary>
    [ConfigurationKeyName(PortVariable)]
    public string? Port { get; set; }

    /// <summary><c>http://0.0.0.0:$PORT</c> for a valid PORT, else null (an invalid one is reported by <see cref="Validate"/>).</summary>
    public static string? PortUrl(string? port) =>
        int.TryParse(port?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
            ? $"http://0.0.0.0:{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : null;

    /// <summary>Most connections Kestrel keeps open at once; more are refused until one closes.</summary>
    [ConfigurationKeyName("CREDITS_MAX_CONNECTIONS")]
    public int MaxConnections { get; set; } = 1000;

    /// <summary>Where outbound webhooks go in the simple case (one endpoint of every event type); with <see cref="OutboundWebhookSecret"/>.</summary>
    [ConfigurationKeyName("CREDITS_WEBHOOK_URL")]
    public string? WebhookUrl { get; set; }

    /// <summary>The Standard Webhooks secret (whsec_ + base64) that signs what goes to <see cref="WebhookUrl"/>.</summary>
    [ConfigurationKeyName("CREDITS_WEBHOOK_SECRET")]
    public string? OutboundWebhookSecret { get; set; }

    public IReadOnlyList<string> WebhookSecrets() =>
        (StripeWebhookSecret ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Null when valid, else a sentence naming the bad setting.</summary>
    public string? Validate()
    {
        if ((WebhookSecretError() ?? ApiKeyError() ?? Credits.Webhooks.OutboundSettings.Problem(WebhookUrl, OutboundWebhookSecret)) is { } secretError)
        {
            return secretError;
        }
        if (DatabaseTimeoutSeconds is < 1 or > 600)
        {
            return "CREDITS_DB_TIMEOUT_SECONDS must be between 1 and 600.";
        }
        if (WriteLanes is < 1 or > 64 || MaxBatch is < 1 or > 10_000)
        {
            return "CREDITS_WRITE_LANES must be between 1 and 64 and CREDITS_MAX_BATCH between 1 and 10000.";
        }
        if (!string.IsNullOrWhiteSpace(Port) && PortUrl(Port) is null)
        {
            return $"PORT '{Port}' is not a port number; set it to a number between 1 and 65535, or unset it and pass --urls.";
        }
        if (UnknownAccounts is not (CreateUnknownAccounts or ParkUnknownAccounts))
        {
            return $"CREDITS_UNKNOWN_ACCOUNTS '{UnknownAccounts}' must be '{CreateUnknownAccounts}' or '{ParkUnknownAccounts}'.";
        }
        if (MaxConnections is < 1 or > 1_000_000)
        {
            return "CREDITS_MAX_CONNECTIONS must be between 1 and 1000000.";
        }
        if (!Uri.TryCreate(StripeApiBase, UriKind.Absolute, out _))
        {
            return $"STRIPE_API_BASE '{StripeApiBase}' is not an absolute URL.";
        }
        return ValidateDatabase();
    }

    private string? ValidateDatabase()
    {
        if (DatabasePooler?.Trim().ToLowerInvariant() is not (null or "" or "none" or "session" or "transaction"))
        {
            return $"CREDITS_DB_POOLER '{DatabasePooler}' is not one of none, session, transaction; use transaction behind PgBouncer in pool_mode=transaction.";
        }
        if (FastPathsSetting?.Trim().ToLowerInvariant() is not (null or "" or "true" or "false"))
        {
            return $"CREDITS_FAST_PATHS '{FastPathsSetting}' must be 'true' or 'false' (false: every request takes the per-statement path).";
        }
        if (PipelineSetting?.Trim().ToLowerInvariant() is not (null or "" or "true" or "false"))
        {
            return $"CREDITS_PIPELINE '{PipelineSetting}' must be 'true' or 'false' (false: batched requests send their statements one after another).";
        }
        if (ShutdownSeconds is < 1 or > 3600)
        {
            return "CREDITS_SHUTDOWN_SECONDS must be between 1 and 3600.";
        }
        if (ExpirySweepSeconds is < 0 or > 86_400)
        {
            return "CREDITS_EXPIRY_SWEEP_SECONDS must be between 0 (no sweep in the server) and 86400.";
        }
        try
        {
            if (!string.IsNullOrWhiteSpace(DatabaseUrl))
            {
                Credits.Ledger.Storage.DatabaseSettings.Postgres(DatabaseUrl);
            }
        }
        catch (Credits.Ledger.Storage.DatabaseUrlException e)
        {
            return e.Message;
        }
        try
        {
            if (!string.IsNullOrWhiteSpace(MigrationDatabaseUrl))
            {
                Credits.Ledger.Storage.DatabaseSettings.Postgres(MigrationDatabaseUrl);
            }
        }
        catch (Credits.Ledger.Storage.DatabaseUrlException e)
        {
            return $"CREDITS_MIGRATION_DATABASE_URL: {e.Message}";
        }
        if (!string.IsNullOrWhiteSpace(MigrationDatabaseUrl) && string.IsNullOrWhiteSpace(DatabaseUrl))
        {
            return "CREDITS_MIGRATION_DATABASE_URL is set but DATABASE_URL is not; set both (the server's pooled URL and the direct one for migrations) or neither.";
        }
        return null;
    }

    // Unset means "generate one"; set but empty is a mistake (a template, a missing secret in the
    // platform), refused rather than quietly replaced by a generated secret Stripe does not know.
    private string? WebhookSecretError()
    {
        if (StripeWebhookSecret is null)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(StripeWebhookSecret))
        {
            return "STRIPE_WEBHOOK_SECRET is set but empty; set it to the endpoint's whsec_ signing secret, or unset it to let Credits generate a local one.";
        }
        var entries = StripeWebhookSecret.Split(',', StringSplitOptions.TrimEntries);
        for (var i = 0; i < entries.Length; i++)
        {
            if (SecretRules.WebhookSecretProblem(entries[i]) is { } problem)
            {
                var which = entries.Length == 1 ? "STRIPE_WEBHOOK_SECRET" : $"STRIPE_WEBHOOK_SECRET entry {i + 1}";
                return $"{which} {problem}; copy the whole signing secret (whsec_ and at least {SecretRules.MinWebhookSecretChars} more characters) from the Stripe Dashboard or `stripe listen`, separating several with commas.";
            }
        }
        return null;
    }

    private string? ApiKeyError() =>
        ApiKey is null ? null
        : string.IsNullOrWhiteSpace(ApiKey) ? $"CREDITS_API_KEY is set but empty; set a random token of at least {SecretRules.MinApiKeyChars} characters (e.g. `openssl rand -hex 24`), or unset it to let Credits generate one."
        : SecretRules.ApiKeyProblem(ApiKey.Trim()) is { } problem
            ? $"CREDITS_API_KEY {problem}; set a random token of at least {SecretRules.MinApiKeyChars} characters (e.g. `openssl rand -hex 24`), or unset it to let Credits generate one."
            : null;
}
