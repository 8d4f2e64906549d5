using Credits.Webhooks;

namespace Credits.Tests.Webhooks;

/// <summary>The retry schedule and the outbound settings checks, as pure functions.</summary>
public sealed class BackoffTests
{
    private const long Created = 1_800_000_000_000;

    [Theory]
    [InlineData(1, 5_000)]
    [InlineData(2, 10_000)]
    [InlineData(3, 20_000)]
    [InlineData(14, 6 * 3_600_000)]
    [InlineData(40, 6 * 3_600_000)]
    public void Delays_double_from_5_seconds_up_to_6_hours_with_jitter_of_a_quarter(long attempts, long delay)
    {
        Assert.Equal(Created + delay * 3 / 4, Backoff.NextAttemptAt(attempts, Created, Created, 0));
        Assert.Equal(Created + delay, Backoff.NextAttemptAt(attempts, Created, Created, 0.5));
        Assert.InRange(Backoff.NextAttemptAt(attempts, Created, Created, 0.999)!.Value, Created + delay, Created + delay * 5 / 4);
    }

    [Fact]
    public void A_message_gives_up_when_the_next_try_would_be_past_3_days()
    {
        var threeDays = (long)TimeSpan.FromDays(3).TotalMilliseconds;
        Assert.NotNull(Backoff.NextAttemptAt(20, Created, Created + threeDays - 6 * 3_600_000, 0.5));
        Assert.Null(Backoff.NextAttemptAt(20, Created, Created + threeDays - 1_000, 0.5));
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("https://platform.example/hooks", null, "CREDITS_WEBHOOK_URL is set but CREDITS_WEBHOOK_SECRET is not")]
    [InlineData(null, "whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", "CREDITS_WEBHOOK_SECRET is set but CREDITS_WEBHOOK_URL is not")]
    [InlineData("ftp://platform.example/hooks", "whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", "CREDITS_WEBHOOK_URL 'ftp://platform.example/hooks' is not an http or https URL.")]
    [InlineData("https://platform.example/hooks", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", "CREDITS_WEBHOOK_SECRET does not start with whsec_")]
    [InlineData("https://platform.example/hooks", "whsec_not base64!", "CREDITS_WEBHOOK_SECRET is not whsec_ followed by base64")]
    [InlineData("https://platform.example/hooks", "whsec_MTIzNDU2Nzg5MA==", "CREDITS_WEBHOOK_SECRET holds 10 bytes after whsec_, fewer than 16")]
    [InlineData("https://platform.example/hooks", "whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", null)]
    public void Outbound_settings_are_both_or_neither_and_well_formed(string? url, string? secret, string? problem)
    {
        var found = OutboundSettings.Problem(url, secret);
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.StartsWith(problem, found);
            Assert.DoesNotContain("MTIzNDU2", found, StringComparison.Ordinal);
        }
    }
}
