using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Credits.Bench;

/// <summary>Builds and signs every request of a run up front, so the measured phase only sends.</summary>
public static class RequestFactory
{
    public const string WebhookPath = "/webhooks/stripe";

    /// <summary>A signed checkout.session.completed per index; users are taken round-robin.</summary>
    public static BenchRequest[] Webhooks(BenchOptions options, int first, int count, Func<int, long>? credits = null)
    {
        var key = Encoding.UTF8.GetBytes(options.WebhookSecret);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var requests = new BenchRequest[count];
        Parallel.For(0, count, i =>
        {
            var index = first + i;
            var user = options.UserId(index % options.Users);
            var grant = credits?.Invoke(index) ?? CheckoutEvent.CreditsOf(index);
            var body = Encoding.UTF8.GetBytes(CheckoutEvent.Json(options.RunId, index, user, grant, now));
            requests[i] = new BenchRequest(WebhookPath, body, "Stripe-Signature", Sign(key, now, body), user, grant);
        });
        return requests;
    }

    /// <summary>Spends of one credit with a unique Idempotency-Key each.</summary>
    public static BenchRequest[] Spends(BenchOptions options, int first, int count)
    {
        var body = Encoding.UTF8.GetBytes("""{"credits":1,"reason":"bench: one resume match"}""");
        var requests = new BenchRequest[count];
        for (var i = 0; i < count; i++)
        {
            var index = first + i;
            var user = options.UserId(index % options.Users);
            requests[i] = new BenchRequest($"/api/users/{user}/spend", body, "Idempotency-Key",
                string.Create(CultureInfo.InvariantCulture, $"bench-{options.RunId}-{index}"), user, -1);
        }
        return requests;
    }

    /// <summary>Stripe's scheme: v1 = hex(HMAC-SHA256(whole whsec_ secret, "{t}.{body}")).</summary>
    public static string Sign(byte[] key, long timestamp, byte[] body)
    {
        var prefix = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{timestamp}."));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Convert.ToHexStringLower(hmac.GetHashAndReset())}");
    }
}
