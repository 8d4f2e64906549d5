using System.Net;
using System.Net.Http.Json;

namespace Credits.Tests.Infrastructure;

/// <summary>Outbound webhook endpoints added through the public API.</summary>
public static class WebhookRequests
{
    /// <summary>Adds an endpoint; returns its id and the secret shown once.</summary>
    public static async Task<(string Id, string Secret)> AddEndpointAsync(
        this CreditsServer server, string url, string[]? eventTypes = null, long? lowBalanceThreshold = null)
    {
        var body = await server.ExpectAsync(HttpStatusCode.Created, server.Client.PostAsJsonAsync("/api/webhook-endpoints",
            new { url, event_types = eventTypes, low_balance_threshold = lowBalanceThreshold }, TestContext.Current.CancellationToken));
        return (body.GetProperty("id").GetString()!, body.GetProperty("secret").GetString()!);
    }
}
