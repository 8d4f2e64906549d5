using Credits.Configuration;

namespace Credits.Tests.Configuration;

/// <summary>CREDITS_FAST_PATHS reaches the ledger's settings; anything but true or false is refused with a sentence.</summary>
public sealed class FastPathsSettingTests
{
    private static CreditsOptions Options(string? fastPaths) => new()
    {
        StripeWebhookSecret = "whsec_" + new string('k', 40),
        ApiKey = new string('a', 40),
        DatabaseUrl = "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres",
        FastPathsSetting = fastPaths,
    };

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("true", true)]
    [InlineData(" FALSE ", false)]
    [InlineData("false", false)]
    public void The_setting_turns_the_fast_paths_on_or_off(string? value, bool expected)
    {
        var options = Options(value);
        Assert.Null(options.Validate());
        Assert.Equal(expected, CreditsApp.DatabaseFrom(options).FastPaths);
    }

    [Theory]
    [InlineData("no")]
    [InlineData("0")]
    public void Other_values_are_refused_saying_what_is_accepted(string value) =>
        Assert.Equal($"CREDITS_FAST_PATHS '{value}' must be 'true' or 'false' (false: every request takes the per-statement path).", Options(value).Validate());
}
