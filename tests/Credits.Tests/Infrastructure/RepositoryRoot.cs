namespace Credits.Tests.Infrastructure;

/// <summary>The repository this test assembly was built from (the folder holding Credits.slnx), for tests of its files.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Located = new(() =>
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !System.IO.File.Exists(System.IO.Path.Combine(folder.FullName, "Credits.slnx")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException($"No folder with Credits.slnx above {AppContext.BaseDirectory}.");
    });

    public static string Path => Located.Value;

    public static string File(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    public static string Read(string relativePath) => System.IO.File.ReadAllText(File(relativePath));
}
