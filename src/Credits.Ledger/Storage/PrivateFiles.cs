using System.Runtime.InteropServices;

namespace Credits.Ledger.Storage;

/// <summary>
/// Files only the owner may read: the data folder (0700), the SQLite database and its -wal/-shm
/// (0600) and generated secrets (0600). Modes are set when the file is created, never by a chmod
/// afterwards, so no other user can open it in between.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    private const UnixFileMode OthersMask =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder and any missing parents as 0700; folders that exist are left as they are.</summary>
    public static void CreateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return;
        }
        if (Path.GetDirectoryName(full) is { } parent)
        {
            CreateDirectory(parent);
        }
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
        }
        else
        {
            Directory.CreateDirectory(full, OwnerOnlyDirectory);
        }
    }

    /// <summary>Creates an empty 0600 file unless one exists; an existing one that others can open is narrowed to 0600.</summary>
    public static void EnsurePrivate(string path)
    {
        try
        {
            using var created = new FileStream(path, Options(FileMode.CreateNew));
            return;
        }
        catch (IOException) when (File.Exists(path))
        {
        }
        Narrow(path);
    }

    /// <summary>Narrows an existing file to 0600 when group or others have any access; does nothing if it is absent or not ours.</summary>
    public static void Narrow(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return;
        }
        try
        {
            if (OthersCanOpen(path))
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Owned by another user: leave it; SQLite reports if it cannot use the file.
        }
    }

    /// <summary>True when group or others have any permission on the file.</summary>
    public static bool OthersCanOpen(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersMask) != 0;

    /// <summary>
    /// Writes <paramref name="contents"/> to <paramref name="path"/> so that a crash leaves either no
    /// file or the whole one, and two processes writing at once agree on one value: a 0600 temporary
    /// file is written and flushed to disk, then linked into place only if nothing is there yet.
    /// Returns false when another writer got there first (its file is left untouched).
    /// </summary>
    public static bool CreateAtomically(string path, ReadOnlySpan<byte> contents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, Options(FileMode.CreateNew)))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            return LinkIntoPlace(temp, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// link(2) gives the file its name only if the name is free, in one step: of two writers exactly
    /// one succeeds and the other gets EEXIST. File.Move is not enough: without overwrite it may
    /// check that the name is free and then rename(2), and a rename replaces a file another
    /// process linked in between (a test with 16 concurrent writers caught that).
    /// </summary>
    private static bool LinkIntoPlace(string temp, string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            if (Link(temp, path) == 0)
            {
                return true;
            }
            if (Marshal.GetLastPInvokeError() == AlreadyExists)
            {
                return false;
            }
            // A file system without hard links: the best the platform offers.
        }
        File.Move(temp, path, overwrite: false);
        return true;
    }

    private const int AlreadyExists = 17; // EEXIST on Linux and macOS

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    private static FileStreamOptions Options(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }
        return options;
    }
}
