using System.Net;
using System.Net.Sockets;
using System.Text;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Reliability;

/// <summary>
/// Kestrel's limits (ServerLimits) on the real server process: oversized bodies and headers are
/// refused with a 4xx before they cost anything, and the server keeps serving afterwards.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class ServerLimitsTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    [Fact]
    public async Task Oversized_bodies_and_headers_get_a_4xx_and_the_server_keeps_serving()
    {
        await using var server = await ServerProcess.StartAsync(db);
        var cancellationToken = TestContext.Current.CancellationToken;

        foreach (var (method, path) in new[] { (HttpMethod.Post, "/webhooks/stripe"), (HttpMethod.Put, "/api/users/u_big") })
        {
            foreach (var chunked in new[] { false, true })
            {
                var body = new byte[3 * 1024 * 1024];
                body.AsSpan().Fill((byte)' ');
                using var request = new HttpRequestMessage(method, path) { Content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body) };
                request.Headers.TransferEncodingChunked = chunked;
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await SendTolerantAsync(server, request);
                Assert.True(response is null || response.StatusCode == HttpStatusCode.RequestEntityTooLarge,
                    $"{path} answered a 3 MiB body (chunked: {chunked}) with {(int?)response?.StatusCode}\n{server.Output}");
            }
        }
        using (var huge = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent("{}") })
        {
            huge.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1," + new string('a', 64 * 1024));
            using var response = await SendTolerantAsync(server, huge);
            Assert.True(response is null || response.StatusCode == HttpStatusCode.RequestHeaderFieldsTooLarge,
                $"a 64 KiB header was answered with {(int?)response?.StatusCode}");
        }

        // A raw request line far past the limit: refused, the connection closed, nothing hangs.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, cancellationToken);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"), cancellationToken);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            Assert.StartsWith("HTTP/1.1 414", Encoding.ASCII.GetString(buffer, 0, read));
        }

        var user = StripeEvents.NewId("u_limits");
        using var ok = await server.PostEventAsync(StripeEvents.Paid(user, 5), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await using var checks = new LedgerChecks(db.Settings());
        Assert.Equal(5, (await checks.BalancesAsync())[user]);
    }

    /// <summary>
    /// Kestrel may answer and close the connection before the client has sent everything, and the
    /// client then sees a reset instead of the answer; either way the request ends and nothing is stored.
    /// </summary>
    private static async Task<HttpResponseMessage?> SendTolerantAsync(ServerProcess server, HttpRequestMessage request)
    {
        try
        {
            return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
