using System.Globalization;

namespace Credits.Cli;

/// <summary>Reads "72h", "30m", "7d", "90s" (or a TimeSpan such as 1.12:00:00) for options like --since.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        var value = text?.Trim() ?? "";
        if (value.Length < 2)
        {
            return false;
        }
        if (double.TryParse(value[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && number <= 100_000)
        {
            switch (char.ToLowerInvariant(value[^1]))
            {
                case 'd': duration = TimeSpan.FromDays(number); return true;
                case 'h': duration = TimeSpan.FromHours(number); return true;
                case 'm': duration = TimeSpan.FromMinutes(number); return true;
                case 's': duration = TimeSpan.FromSeconds(number); return true;
            }
        }
        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration);
    }
}
