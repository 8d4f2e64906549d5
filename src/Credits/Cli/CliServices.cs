using Credits.Reconciliation;

namespace Credits.Cli;

/// <summary>The server's own composition (same settings, same database, same processor) for commands that run without it.</summary>
public static class CliServices
{
    public static ServiceProvider Build(IEnumerable<string> args)
    {
        var configuration = CliConfiguration.Load(args);
        // A clear error naming the bad setting before anything is built.
        CliConfiguration.Options(configuration);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddCredits(configuration);
        services.AddSingleton<Reconciler>();
        return services.BuildServiceProvider();
    }
}
