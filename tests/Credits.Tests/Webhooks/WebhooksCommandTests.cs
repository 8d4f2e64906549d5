using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Webhooks;

/// <summary><c>credits webhooks list|deliveries|retry|test</c> against a live server and a real receiver.</summary>
public sealed class WebhooksCommandTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Test_sends_a_signed_ping_and_list_deliveries_and_retry_show_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await LiveServer.StartAsync(db);
        string[] target = ["--url", server.BaseUrl, "--api-key", CreditsServer.ApiKey];
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", CreditsServer.ApiKey);
        using var added = await client.PostAsJsonAsync("/api/webhook-endpoints", new { url = receiver.Url }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var endpoint = JsonDocument.Parse(await added.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var (id, secret) = (endpoint.GetProperty("id").GetString()!, endpoint.GetProperty("secret").GetString()!);

        var (listExit, list) = await CliRun.RunAsync(["webhooks", "list", .. target]);
        Assert.Equal(0, listExit);
        Assert.Contains(id, list);
        Assert.DoesNotContain(secret, list);

        var (testExit, test) = await CliRun.RunAsync(["webhooks", "test", id, .. target]);
        Assert.Equal(0, testExit);
        await receiver.WaitForAsync(r => r.Count == 1);
        var ping = Assert.Single(receiver.Verified(secret));
        Assert.Equal("ping", ping.Type);
        Assert.Contains(ping.Id, test);

        var (retryExit, _) = await CliRun.RunAsync(["webhooks", "retry", ping.Id, .. target]);
        Assert.Equal(0, retryExit);
        await receiver.WaitForAsync(r => r.Count == 2);
        Assert.All(receiver.Verified(secret), r => Assert.Equal(ping.Id, r.Id));

        var (deliveriesExit, deliveries) = await CliRun.RunAsync(["webhooks", "deliveries", "--endpoint", id, "--json", .. target]);
        Assert.Equal(0, deliveriesExit);
        Assert.Contains(ping.Id, deliveries);
        var (missingExit, _) = await CliRun.RunAsync(["webhooks", "retry", "msg_missing", .. target]);
        Assert.NotEqual(0, missingExit);
    }
}
