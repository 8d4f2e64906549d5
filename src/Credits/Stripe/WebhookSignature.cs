using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Credits.Configuration;

namespace Credits.Stripe;

/// <summary>
/// Verifies <c>Stripe-Signature</c> over the raw body bytes: <c>t=</c> plus one or more
/// <c>v1=</c> HMAC-SHA256 hex digests of "{t}.{body}", keyed by the whole whsec_ string. Any v1 may
/// match any configured secret (rotation); other schemes are ignored; |now - t| must be within 300 s.
/// Stripe.net's EventUtility verifies one secret over a string, so we do it over the bytes here and
/// the tests sign with EventUtility to prove both agree.
/// </summary>
public sealed class WebhookSignature(IReadOnlyList<string> secrets, TimeProvider time)
{
    public const int ToleranceSeconds = 300;
    private const int DigestBytes = 32;

    // Start-up refuses weak secrets with a sentence; this is the last line of defence: an empty
    // key or a bare "whsec_" would let anyone sign events.
    private readonly byte[][] _keys = secrets.Count > 0 && secrets.All(s => SecretRules.WebhookSecretProblem(s) is null)
        ? [.. secrets.Select(Encoding.UTF8.GetBytes)]
        : throw new ArgumentException("Every webhook secret must be whsec_ followed by at least 16 characters.", nameof(secrets));

    public SignatureCheck Verify(string? header, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Fail(SignatureFailure.MissingHeader,
                "The Stripe-Signature header is missing or empty; Stripe sends it on every webhook delivery.");
        }

        string? timestamp = null;
        var candidates = new List<byte[]>();
        var sawV1 = false;
        foreach (var item in header.Split(','))
        {
            var separator = item.IndexOf('=');
            if (separator <= 0)
            {
                return SignatureCheck.Fail(SignatureFailure.Malformed,
                    "The Stripe-Signature header is malformed; expected t=<unix time>,v1=<hex signature>.");
            }
            var key = item.AsSpan(0, separator).Trim();
            var value = item.AsSpan(separator + 1).Trim();
            if (key.SequenceEqual("t"))
            {
                timestamp ??= value.ToString();
            }
            else if (key.SequenceEqual("v1"))
            {
                sawV1 = true;
                var digest = new byte[DigestBytes];
                // A v1 that is not 64 hex characters can never match; it is skipped, not an error.
                if (value.Length == DigestBytes * 2 && Convert.FromHexString(value, digest, out _, out var written) == OperationStatus.Done
                    && written == DigestBytes)
                {
                    candidates.Add(digest);
                }
            }
        }

        if (timestamp is null || timestamp.Length is 0 or > 12 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureCheck.Fail(SignatureFailure.Malformed,
                "The Stripe-Signature header has no valid t= timestamp; expected t=<unix time>,v1=<hex signature>.");
        }
        if (!sawV1)
        {
            return SignatureCheck.Fail(SignatureFailure.NoV1,
                "The Stripe-Signature header has no v1 signature; only the v1 scheme is accepted.");
        }
        if (!Matches(timestamp, body, candidates))
        {
            return SignatureCheck.Fail(SignatureFailure.Mismatch,
                "No v1 signature matches a configured webhook secret; check STRIPE_WEBHOOK_SECRET against the endpoint's signing secret.");
        }

        var age = time.GetUtcNow().ToUnixTimeSeconds() - seconds;
        if (age > ToleranceSeconds)
        {
            return SignatureCheck.Fail(SignatureFailure.Stale,
                $"The signature timestamp is {age} s old, more than the {ToleranceSeconds} s tolerance; a replayed or delayed request is refused.");
        }
        if (age < -ToleranceSeconds)
        {
            return SignatureCheck.Fail(SignatureFailure.Future,
                $"The signature timestamp is {-age} s in the future, more than the {ToleranceSeconds} s tolerance; check this server's clock.");
        }
        return SignatureCheck.Valid;
    }

    private bool Matches(string timestamp, ReadOnlySpan<byte> body, List<byte[]> candidates)
    {
        if (candidates.Count == 0)
        {
            return false;
        }
        Span<byte> prefix = stackalloc byte[16];
        var prefixLength = Encoding.ASCII.GetBytes(timestamp, prefix);
        prefix[prefixLength++] = (byte)'.';
        Span<byte> expected = stackalloc byte[DigestBytes];
        var matched = false;
        foreach (var key in _keys)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(prefix[..prefixLength]);
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
            foreach (var candidate in candidates)
            {
                // Constant time per comparison, and no early exit across them.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }
        return matched;
    }
}
