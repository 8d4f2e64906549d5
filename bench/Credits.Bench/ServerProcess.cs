using System.Globalization;

namespace Credits.Bench;

/// <summary>Peak resident memory of the server, from the kernel's own high-water mark.</summary>
public static class ServerProcess
{
    /// <summary>VmHWM of /proc/{pid}/status in MiB, or null when the process is not readable.</summary>
    public static double? PeakRssMiB(int pid)
    {
        var path = $"/proc/{pid}/status";
        if (!File.Exists(path))
        {
            return null;
        }
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return kib is null ? null : long.Parse(kib, CultureInfo.InvariantCulture) / 1024.0;
    }
}
