using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Credits.Tests.Infrastructure;

/// <summary>Signed webhook bodies that are not a .NET string (Stripe.net's helper only signs strings).</summary>
public static class SignedBodies
{
    public static async Task<HttpResponseMessage> PostSignedBytesAsync(this CreditsServer server, byte[] body)
    {
        var timestamp = server.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(CreditsServer.WebhookSecret), (byte[])[.. Encoding.ASCII.GetBytes(timestamp + "."), .. body]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={timestamp},v1={Convert.ToHexStringLower(signature)}");
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
