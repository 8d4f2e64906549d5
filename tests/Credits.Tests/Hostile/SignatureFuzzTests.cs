using System.Globalization;
using System.Text;
using Credits.Stripe;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using Stripe;

namespace Credits.Tests.Hostile;

/// <summary>
/// Property tests of the Stripe-Signature parser (README, "The webhook"): whatever the header and body, Verify
/// answers (never throws), and accepts only a v1 HMAC of exactly "{t}.{body}" with t within 300 s.
/// Headers are signed by Stripe.net's own helper, not the product's signer: an independent
/// oracle for the verifier, which the product signer is checked against in HandledEventsTests.
/// </summary>
public sealed class SignatureFuzzTests
{
    private const string Secret = "whsec_fuzz_0123456789abcdef";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_760_000_000);
    private static readonly WebhookSignature Verifier = new([Secret], new FakeTimeProvider(Now));
    private static readonly long NowSeconds = Now.ToUnixTimeSeconds();

    private static readonly Gen<string> Junk = Gen.Char.Array[0, 40].Select(c => new string(c));

    private static readonly Gen<string> Timestamps = Gen.OneOf(
        Gen.Long.Select(Text),
        Gen.Long[NowSeconds - 1000, NowSeconds + 1000].Select(Text),
        Gen.Int[0, 40].Select(n => new string('9', n)),
        Gen.OneOf(Gen.Const("99999999999999999999999"), Gen.Const("9223372036854775808"), Gen.Const("-1"), Gen.Const("+" + Text(NowSeconds)),
            Gen.Const(" " + Text(NowSeconds)), Gen.Const(Text(NowSeconds) + ".0"), Gen.Const("0x1A"), Gen.Const("١٧٦٠٠٠٠٠٠٠"), Gen.Const("")),
        Junk);

    private static readonly Gen<string> Bodies = Gen.Char[' ', '~'].Array[0, 300].Select(c => new string(c));

    private static readonly Gen<string> Items = Gen.OneOf(
        Timestamps.Select(t => "t=" + t),
        Gen.Byte.Array[32].Select(b => "v1=" + Convert.ToHexStringLower(b)),
        Gen.Byte.Array[0, 40].Select(b => "v1=" + Convert.ToHexString(b)),
        Gen.Byte.Array[32].Select(b => "v0=" + Convert.ToHexStringLower(b)),
        Gen.OneOf(Gen.Const("v1="), Gen.Const("="), Gen.Const("t"), Gen.Const(" t = 1 "), Gen.Const(""), Gen.Const("v1==="), Gen.Const("\0=\0")),
        Junk);

    [Fact]
    public void A_header_is_accepted_only_for_a_plain_timestamp_within_tolerance()
    {
        Gen.Select(Timestamps, Bodies).Sample((timestamp, body) =>
        {
            var header = $"t={timestamp},v1={EventUtility.ComputeSignature(Secret, timestamp, body)}";
            var check = Verifier.Verify(header, Encoding.UTF8.GetBytes(body));
            var acceptable = timestamp.Length is > 0 and <= 12 && timestamp.All(char.IsAsciiDigit)
                && Math.Abs(NowSeconds - long.Parse(timestamp, CultureInfo.InvariantCulture)) <= WebhookSignature.ToleranceSeconds;
            return check.IsValid == acceptable && (check.IsValid || !string.IsNullOrEmpty(check.Message));
        }, iter: 2000);
    }

    [Fact]
    public void Arbitrary_headers_are_refused_with_a_reason_and_never_throw()
    {
        Gen.Select(Items.Array[0, 30], Bodies).Sample((items, body) =>
        {
            var check = Verifier.Verify(string.Join(',', items), Encoding.UTF8.GetBytes(body));
            return !check.IsValid && !string.IsNullOrEmpty(check.Message);
        }, iter: 3000);
    }

    [Fact]
    public void A_flipped_or_truncated_byte_anywhere_breaks_the_signature()
    {
        Gen.Select(Bodies.Where(b => b.Length > 0), Gen.Int, Gen.Byte[1, 255], Gen.Bool).Sample((body, position, mask, truncate) =>
        {
            var (header, bytes) = Signed(body);
            var index = (int)((uint)position % (uint)bytes.Length);
            if (truncate)
            {
                bytes = bytes[..index];
            }
            else
            {
                bytes[index] ^= mask;
            }
            return Verifier.Verify(header, bytes).Failure == SignatureFailure.Mismatch;
        }, iter: 2000);
    }

    [Fact]
    public void A_truncated_header_never_verifies()
    {
        Gen.Select(Bodies, Gen.Int).Sample((body, position) =>
        {
            var (header, bytes) = Signed(body);
            var cut = header[..(int)((uint)position % (uint)header.Length)];
            return !Verifier.Verify(cut, bytes).IsValid;
        }, iter: 1000);
    }

    [Fact]
    public void A_thousand_v1_entries_verify_only_when_one_of_them_is_right()
    {
        Gen.Select(Gen.Byte.Array[32].Array[999], Gen.Int[0, 999], Bodies).Sample((decoys, position, body) =>
        {
            var (header, bytes) = Signed(body);
            var right = header[(header.IndexOf(',', StringComparison.Ordinal) + 1)..];
            var entries = decoys.Select(d => "v1=" + Convert.ToHexStringLower(d)).ToList();
            var timestamp = header[..header.IndexOf(',', StringComparison.Ordinal)];
            var without = Verifier.Verify(string.Join(',', [timestamp, .. entries]), bytes);
            entries.Insert(position, right);
            var with = Verifier.Verify(string.Join(',', [timestamp, .. entries]), bytes);
            return with.IsValid && without.Failure == SignatureFailure.Mismatch;
        }, iter: 20);
    }

    [Fact]
    public void Huge_headers_are_refused_without_throwing()
    {
        var (header, bytes) = Signed("{}");
        var timestamp = header[..header.IndexOf(',', StringComparison.Ordinal)];

        Assert.Equal(SignatureFailure.Mismatch, Verifier.Verify(timestamp + string.Concat(Enumerable.Repeat(",v1=" + new string('a', 64), 20_000)), bytes).Failure);
        Assert.Equal(SignatureFailure.Malformed, Verifier.Verify("t=" + new string('1', 1_000_000) + ",v1=00", bytes).Failure);
        Assert.Equal(SignatureFailure.Malformed, Verifier.Verify(new string(',', 1_000_000), bytes).Failure);
        Assert.Equal(SignatureFailure.NoV1, Verifier.Verify(timestamp + string.Concat(Enumerable.Repeat(",v0=" + new string('a', 64), 20_000)), bytes).Failure);
        Assert.False(Verifier.Verify(header + "," + new string('x', 1_000_000), bytes).IsValid);
    }

    private static (string Header, byte[] Body) Signed(string body)
    {
        var timestamp = Text(NowSeconds);
        return ($"t={timestamp},v1={EventUtility.ComputeSignature(Secret, timestamp, body)}", Encoding.UTF8.GetBytes(body));
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
