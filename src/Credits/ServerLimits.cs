using Credits.Configuration;
using Credits.Stripe;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Credits;

/// <summary>
/// Kestrel's limits, set on purpose rather than inherited: the webhook is public and anyone can
/// send it anything, so each limit says what a real caller (Stripe, the platform) needs and cuts
/// off everything beyond it before it costs memory, threads or database work.
/// </summary>
public static class ServerLimits
{
    public const int MinBodyBytesPerSecond = 8 * 1024;
    public static readonly TimeSpan BodyGracePeriod = TimeSpan.FromSeconds(2);

    public static WebApplicationBuilder UseServerLimits(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var limits = kestrel.Limits;
            // Each connection costs a socket, buffers and a timer; past the cap Kestrel closes new
            // ones at once, so a flood cannot exhaust file descriptors or memory (CREDITS_MAX_CONNECTIONS).
            limits.MaxConcurrentConnections = kestrel.ApplicationServices.GetRequiredService<IOptions<CreditsOptions>>().Value.MaxConnections;
            // Stripe events are a few KB (the largest well under 1 MiB). The webhook reads at most
            // 1 MiB + 1 byte and answers 413 problem+json itself; Kestrel's cut-off sits 64 KiB above
            // that so it only ever stops bodies no endpoint would read anyway (API bodies are tiny).
            limits.MaxRequestBodySize = WebhookEndpoint.MaxBodyBytes + 64 * 1024;
            // Stripe-Signature with a few v1 entries is well under 1 KB and Stripe sends about ten
            // headers; 32 KiB leaves room for proxies' forwarding headers and answers 431 to floods.
            limits.MaxRequestHeadersTotalSize = 32 * 1024;
            limits.MaxRequestHeaderCount = 100;
            limits.MaxRequestLineSize = 8 * 1024;
            // Slow senders (slowloris): a real client sends its headers at once; 15 s is generous.
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            // Stripe sends a few KB at once from a data centre; 8 KB/s is a floor any real sender
            // clears by orders of magnitude, and it still lets a 1 MiB body take two minutes. After
            // a 2 s grace a slower body is cut off (408) instead of holding a connection for ever.
            limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: MinBodyBytesPerSecond, gracePeriod: BodyGracePeriod);
            limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            // Stripe keeps connections alive between deliveries; idle ones are closed after a
            // minute so that idle sockets cannot pile up (Kestrel's default is 130 s).
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
        });
        // A limit Kestrel enforces while the body is read surfaces as BadHttpRequestException; it is
        // the client's fault, so it keeps its own status (413, 408...) instead of becoming a 500,
        // and is not logged as a server error.
        builder.Services.Configure<ExceptionHandlerOptions>(options =>
        {
            options.StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            options.SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException;
        });
        return builder;
    }
}
