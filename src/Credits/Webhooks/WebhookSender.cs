using System.Text;
using Credits.Ledger.Storage;
using Credits.Ledger.Webhooks;
using Credits.Telemetry;
using StandardWebhooks;

namespace Credits.Webhooks;

/// <summary>
/// Delivers the outbox: claims due messages (<see cref="Outbox.ClaimAsync"/>), signs each with its
/// endpoint's secret per Standard Webhooks (webhook-id is the message id, the same on every
/// attempt) and posts it. 2xx is delivered; 410 disables the endpoint; anything else, a timeout or
/// a refused connection tries again later (<see cref="Backoff"/>) until 3 days have passed, then
/// the message is failed. Several instances can run this at once on one PostgreSQL.
/// </summary>
public sealed partial class WebhookSender(
    LedgerDatabase database, WebhookEndpoints endpoints, TimeProvider time, CreditsMetrics metrics, ILogger<WebhookSender> logger) : BackgroundService, IDisposable
{
    /// <summary>How long one attempt may take; a network wait, so measured on the wall clock.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A claim keeps other instances off a message for this long: past any attempt, so it is never in flight twice.</summary>
    public static readonly TimeSpan Lease = AttemptTimeout + TimeSpan.FromSeconds(5);

    /// <summary>How often an idle sender looks for due messages (a loop cadence, not business time).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private const int BatchSize = 32;

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                sent = await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database is down or the schema not there yet: the messages wait in the outbox.
                Log.ClaimFailed(logger, e);
            }
            if (sent == 0)
            {
                try
                {
                    await Task.Delay(PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Claims and sends one batch; returns how many messages were attempted.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await Outbox.ClaimAsync(database, now.ToUnixTimeMilliseconds(), (now + Lease).ToUnixTimeMilliseconds(), BatchSize, cancellationToken);
        await Task.WhenAll(due.Select(message => DeliverAsync(message, cancellationToken)));
        return due.Count;
    }

    private async Task DeliverAsync(DueMessage message, CancellationToken cancellationToken)
    {
        var (statusCode, error) = await PostAsync(message, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            return; // Shutting down mid-attempt: the lease runs out and the message is sent again.
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (statusCode is >= 200 and < 300)
        {
            await Outbox.DeliveredAsync(database, message.Seq, statusCode.Value, now, CancellationToken.None);
            metrics.WebhookDelivery(MessageStatus.Delivered);
            return;
        }
        error ??= $"the endpoint answered {statusCode}";
        if (statusCode == 410)
        {
            await endpoints.DisableAsync(message.EndpointId, $"the endpoint answered 410 Gone to message {message.Id}", CancellationToken.None);
            Log.EndpointGone(logger, message.EndpointId, message.Id);
        }
        var next = Backoff.NextAttemptAt(message.Attempts, message.CreatedAt, now, Random.Shared.NextDouble());
        await Outbox.AttemptFailedAsync(database, message.Seq, statusCode, error, next, CancellationToken.None);
        metrics.WebhookDelivery(next is null ? MessageStatus.Failed : "retrying");
        Log.AttemptFailed(logger, message.Id, message.EventType, message.Attempts, error);
    }

    /// <summary>One signed POST: the status code, or the error when there was no answer.</summary>
    private async Task<(int? StatusCode, string? Error)> PostAsync(DueMessage message, CancellationToken cancellationToken)
    {
        var sentAt = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, message.Url)
        {
            Content = new StringContent(message.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("webhook-id", message.Id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", sentAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", new StandardWebhook(message.Secret).Sign(message.Id, sentAt, message.Payload));
        request.Headers.UserAgent.ParseAdd($"Credits/{CreditsApp.Version}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {AttemptTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
        catch (OperationCanceledException)
        {
            return (null, "shutting down");
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook message {MessageId} ({EventType}) attempt {Attempt} failed: {Error}")]
        public static partial void AttemptFailed(ILogger logger, string messageId, string eventType, long attempt, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} answered 410 Gone to message {MessageId}; it is disabled")]
        public static partial void EndpointGone(ILogger logger, string endpointId, string messageId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim webhook messages; trying again")]
        public static partial void ClaimFailed(ILogger logger, Exception error);
    }
}
