using Credits.Configuration;

namespace Credits.Cli;

/// <summary>The same settings the server reads (appsettings, environment, --Key=value), for commands that run without it.</summary>
public static class CliConfiguration
{
    public static IConfiguration Load(IEnumerable<string> args) =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args])
            .Build();

    /// <summary>The options, or a clear error naming the bad setting.</summary>
    public static CreditsOptions Options(IConfiguration configuration)
    {
        var options = new CreditsOptions();
        configuration.Bind(options);
        if (options.Validate() is { } error)
        {
            throw new CliException(error, CliException.Usage);
        }
        return options;
    }
}
