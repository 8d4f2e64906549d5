using System.CommandLine;
using Credits.Cli;

var parse = CreditsCommands.Create().Parse(args);
// `serve` drains in-flight requests on SIGTERM for CREDITS_SHUTDOWN_SECONDS (the host handles the
// signal); System.CommandLine's own handler would end the process 2 s after the signal with code 143.
return await parse.InvokeAsync(new InvocationConfiguration
{
    ProcessTerminationTimeout = parse.CommandResult.Command.Name == "serve" ? null : TimeSpan.FromSeconds(2),
});

