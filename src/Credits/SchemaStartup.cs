using Credits.Configuration;
using Credits.Ledger.Storage;
using Microsoft.Extensions.Options;

namespace Credits;

/// <summary>Creates or upgrades the schema before the server takes requests.</summary>
public sealed partial class SchemaStartup(LedgerDatabase database, IOptions<CreditsOptions> options, ILogger<SchemaStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await SchemaMigrator.MigrateAsync(database, CreditsApp.MigrationDatabaseFrom(options.Value), cancellationToken);
        database.MarkSchemaCurrent();
        Log.Migrated(logger, database.Settings.Describe(), applied.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Database {Database}: schema current ({Applied} scripts applied now)")]
        public static partial void Migrated(ILogger logger, string database, int applied);
    }
}
