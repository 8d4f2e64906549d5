namespace Credits.Tests.Infrastructure;

/// <summary>Signed webhook bodies that are not a .NET string (invalid UTF-8), signed by the product's signer.</summary>
public static class SignedBodies
{
    public static async Task<HttpResponseMessage> PostSignedBytesAsync(this CreditsServer server, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Credits.Stripe.TestEvents.SignatureHeader(body, CreditsServer.WebhookSecret, server.Time.GetUtcNow()));
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
