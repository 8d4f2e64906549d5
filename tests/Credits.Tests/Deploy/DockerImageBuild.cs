using System.Diagnostics;
using System.Text.RegularExpressions;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Deploy;

/// <summary>
/// What `docker build` would do with the repository's Dockerfile, without Docker: the build stage's
/// COPY (honouring .dockerignore), WORKDIR and RUN lines run as written in a scratch root where every
/// absolute container path is mapped below <see cref="Root"/>; the runtime stage's COPY --from, ENV,
/// VOLUME and CMD give the image's layout and how it starts. Built once per test class.
/// </summary>
public sealed class DockerImageBuild : IAsyncLifetime
{
    // Microsoft's .NET images keep Debian's default PATH, which the Dockerfile's ENV PATH extends.
    private static readonly Dictionary<string, string> BaseImageEnvironment = new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["APP_UID"] = "1654",
    };

    public string Root { get; } = Directory.CreateTempSubdirectory("credits-image-").FullName;

    public DockerfileModel Dockerfile { get; } = DockerfileModel.Parse(RepositoryRoot.Read("Dockerfile"));

    /// <summary>Every command the build stage ran, as written in the Dockerfile.</summary>
    public List<string> Ran { get; } = [];

    public TimeSpan BuildTime { get; private set; }

    /// <summary>The image's environment (container paths), from the runtime stage's ENV lines.</summary>
    public Dictionary<string, string> Environment => Dockerfile.Runtime.Environment(BaseImageEnvironment);

    /// <summary>A path of the runtime image (what the container sees) on this machine.</summary>
    public string Host(string containerPath) => Path.Combine(Root, "image", containerPath.TrimStart('/'));

    /// <summary>A path of the build stage's file system on this machine.</summary>
    public string BuildHost(string containerPath) => Path.Combine(Root, "build", containerPath.TrimStart('/'));

    public async ValueTask InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        var workdir = "/";
        foreach (var instruction in Dockerfile.Build.Instructions)
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    workdir = Path.Combine(workdir, instruction.Arguments);
                    Directory.CreateDirectory(BuildHost(workdir));
                    break;
                case "COPY":
                    var parts = instruction.Arguments.Split(' ');
                    var destination = BuildHost(Path.Combine(workdir, parts[^1]));
                    foreach (var source in parts[..^1])
                    {
                        CopyFromContext(source, destination);
                    }
                    break;
                case "RUN":
                    await RunAsync(instruction.Arguments, BuildHost(workdir));
                    break;
                default:
                    Assert.Fail($"DockerImageBuild does not emulate {instruction.Keyword} in the build stage; teach it before using it in the Dockerfile.");
                    break;
            }
        }
        var runtimeWorkdir = "/";
        foreach (var instruction in Dockerfile.Runtime.Instructions)
        {
            if (instruction.Keyword == "WORKDIR")
            {
                runtimeWorkdir = Path.Combine(runtimeWorkdir, instruction.Arguments);
            }
            else if (instruction.Keyword == "COPY")
            {
                var parts = instruction.Arguments.Split(' ');
                Assert.StartsWith($"--from={Dockerfile.Build.Name}", parts[0]);
                CopyDirectory(BuildHost(parts[1]), Host(Path.Combine(runtimeWorkdir, parts[2])));
            }
            else if (instruction.Keyword == "VOLUME")
            {
                Directory.CreateDirectory(Host(instruction.Arguments));
            }
        }
        BuildTime = clock.Elapsed;
    }

    /// <summary>Finds a command on the image's PATH, as the container's exec would.</summary>
    public string? Which(string command) =>
        Environment["PATH"].Split(':').Select(folder => Host(Path.Combine(folder, command))).FirstOrDefault(File.Exists);

    /// <summary>The image's environment for a process on this machine: container paths mapped, this machine's PATH after the image's.</summary>
    public Dictionary<string, string?> ProcessEnvironment() =>
        Environment.ToDictionary(e => e.Key, e => e.Key == "PATH"
            ? string.Join(':', e.Value.Split(':').Select(Host)) + ":" + System.Environment.GetEnvironmentVariable("PATH")
            : e.Value.StartsWith('/') ? Host(e.Value) : e.Value, StringComparer.Ordinal)!;

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    private async Task RunAsync(string command, string workingDirectory)
    {
        Ran.Add(command);
        // Absolute paths in the command are the container's: map them into the scratch root.
        var mapped = string.Join(' ', command.Split(' ').Select(token => token.StartsWith('/') ? BuildHost(token) : token));
        // nice: the build is the heaviest thing in the suite and must not starve the timing-sensitive tests.
        var info = new ProcessStartInfo("nice", ["-n", "10", "bash", "-c", mapped])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"RUN {command} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    private void CopyFromContext(string source, string destination)
    {
        var ignore = File.ReadAllLines(RepositoryRoot.File(".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(IgnorePattern).ToList();
        var full = RepositoryRoot.File(source.TrimEnd('/'));
        if (File.Exists(full))
        {
            Directory.CreateDirectory(destination);
            File.Copy(full, Path.Combine(destination, Path.GetFileName(full)), overwrite: true);
            return;
        }
        foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepositoryRoot.Path, file).Replace('\\', '/');
            var segments = relative.Split('/');
            if (Enumerable.Range(1, segments.Length).Any(n => ignore.Any(p => p.IsMatch(string.Join('/', segments[..n])))))
            {
                continue;
            }
            var target = Path.Combine(destination, Path.GetRelativePath(full, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static Regex IgnorePattern(string pattern) =>
        new("^" + Regex.Escape(pattern.TrimEnd('/')).Replace(@"\*\*/", "(.*/)?").Replace(@"\*", "[^/]*") + "$");

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
