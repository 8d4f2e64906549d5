using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of this test class's own (initdb into a temp folder, a free loopback port),
/// so a test can stop and start it without disturbing the shared one ./test.sh runs for everyone.
/// As root the server runs as the postgres user, which owns the folder.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _root;
    private int _port;

    public string? SkipReason { get; private set; }

    /// <summary>An Npgsql connection string for the database "credits" on this server.</summary>
    public string DatabaseUrl { get; private set; } = "";

    /// <summary>A CREDITS_DATA_DIR for the server under test, removed with this server's folder.</summary>
    public string AppDataDirectory => Path.Combine(_root!, "app");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Path.Combine(PostgresFixture.Binaries, "postgres")))
        {
            SkipReason = $"PostgreSQL binaries are absent ({PostgresFixture.Binaries}); the outage test needs a server of its own to stop and start.";
            return;
        }
        _root = Directory.CreateTempSubdirectory("credits-outage-pg-").FullName;
        await RunAsync("chmod", "755", _root);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", "postgres", _root);
        }
        _port = ServerProcess.FreePort();
        await PgAsync("initdb", "-D", DataPath, "-U", "postgres", "-A", "trust", "--no-sync");
        await StartAsync();
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE credits", connection);
            await create.ExecuteNonQueryAsync();
        }
        DatabaseUrl = ConnectionString("credits");
    }

    private string DataPath => Path.Combine(_root!, "data");

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Username = "postgres", Database = database, Timeout = 3 }.ConnectionString;

    public Task StartAsync() => PgAsync("pg_ctl", "-D", DataPath, "-l", Path.Combine(_root!, "server.log"), "-w", "-t", "60",
        "-o", $"-p {_port.ToString(CultureInfo.InvariantCulture)} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off", "start");

    /// <summary>Fast shutdown: open sessions are terminated, new connections refused.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", "-D", DataPath, "-m", "fast", "-w", "-t", "60", "stop");

    public async ValueTask DisposeAsync()
    {
        if (_root is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataPath, "postmaster.pid")))
        {
            await PgAsync("pg_ctl", "-D", DataPath, "-m", "immediate", "-w", "stop");
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task PgAsync(string program, params string[] args) =>
        Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(PostgresFixture.Binaries, program), .. args])
            : RunAsync(Path.Combine(PostgresFixture.Binaries, program), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}
