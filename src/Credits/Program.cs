using Credits.Cli;

return await CreditsCommands.Create().Parse(args).InvokeAsync();

/// <summary>The entry point; a partial class so tests can name the assembly.</summary>
public partial class Program;
