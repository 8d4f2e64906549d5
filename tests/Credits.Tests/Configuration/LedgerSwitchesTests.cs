using Credits.Configuration;
using Credits.Ledger.Storage;

namespace Credits.Tests.Configuration;

/// <summary>
/// CREDITS_FAST_PATHS and CREDITS_PIPELINE reach the ledger's settings; anything but true or false
/// is refused with a sentence. (What each does is proven by test.sh's second PostgreSQL pass with both off.)
/// </summary>
public sealed class LedgerSwitchesTests
{
    private static CreditsOptions Options(string? fastPaths = null, string? pipeline = null) => new()
    {
        StripeWebhookSecret = "whsec_" + new string('k', 40),
        ApiKey = new string('a', 40),
        DatabaseUrl = "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres",
        FastPathsSetting = fastPaths,
        PipelineSetting = pipeline,
    };

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("true", true)]
    [InlineData(" FALSE ", false)]
    [InlineData("false", false)]
    public void Each_switch_turns_its_path_on_or_off_alone(string? value, bool expected)
    {
        var fastPathsOnly = Options(fastPaths: value);
        var pipelineOnly = Options(pipeline: value);
        Assert.Null(fastPathsOnly.Validate());
        Assert.Null(pipelineOnly.Validate());
        Assert.Equal((expected, true), Switches(CreditsApp.DatabaseFrom(fastPathsOnly)));
        Assert.Equal((true, expected), Switches(CreditsApp.DatabaseFrom(pipelineOnly)));
    }

    [Theory]
    [InlineData("no")]
    [InlineData("0")]
    public void Other_values_are_refused_saying_what_is_accepted(string value)
    {
        Assert.Equal($"CREDITS_FAST_PATHS '{value}' must be 'true' or 'false' (false: every request takes the per-statement path).", Options(fastPaths: value).Validate());
        Assert.Equal($"CREDITS_PIPELINE '{value}' must be 'true' or 'false' (false: batched requests send their statements one after another).", Options(pipeline: value).Validate());
    }

    private static (bool FastPaths, bool Pipeline) Switches(DatabaseSettings settings) => (settings.FastPaths, settings.Pipeline);
}
