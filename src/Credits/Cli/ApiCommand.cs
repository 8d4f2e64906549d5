using System.CommandLine;
using System.Text.Json;
using Spectre.Console.Rendering;

namespace Credits.Cli;

/// <summary>A command that calls the server's /api with --url and --api-key, and prints a table or, with --json, the raw answer.</summary>
public static class ApiCommand
{
    public static Command Create(string name, string description, Symbol[] symbols,
        Func<CliContext, ServerClient, CancellationToken, Task<JsonElement>> call, Func<JsonElement, IEnumerable<IRenderable>> render)
    {
        var url = CliOptions.ServerUrl();
        var apiKey = CliOptions.ApiKey();
        var json = CliOptions.Json();
        var command = new Command(name, description) { url, apiKey, json };
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }
        command.SetCliAction(async (context, cancellationToken) =>
        {
            using var client = new ServerClient(context.Get(url), CliOptions.ResolveApiKey(context, apiKey));
            var answer = await call(context, client, cancellationToken);
            if (context.Get(json))
            {
                await context.Out.WriteLineAsync(CliFormat.Pretty(answer));
                return 0;
            }
            foreach (var part in render(answer))
            {
                context.Console.Write(part);
            }
            return 0;
        });
        return command;
    }

    /// <summary>An id argument, escaped for the URL path; refuses what can never be an id.</summary>
    public static Argument<string> Id(string name, string description)
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value) || value.Length > 255)
            {
                result.AddError($"<{name}> must be 1 to 255 characters.");
            }
        });
        return argument;
    }

    public static string Path(string value) => Uri.EscapeDataString(value);

    public static string Query(params (string Name, object? Value)[] parameters)
    {
        var given = parameters.Where(p => p.Value is not null && p.Value.ToString() is { Length: > 0 })
            .Select(p => $"{p.Name}={Uri.EscapeDataString(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)}")
            .ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }
}
