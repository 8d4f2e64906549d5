using System.Buffers;
using System.Data.Common;
using Credits.Api;
using Credits.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Credits.Stripe;

/// <summary><c>POST /webhooks/stripe</c> and <c>POST /</c>: verify, process, commit, then answer.</summary>
public static partial class WebhookEndpoint
{
    public const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapStripeWebhook(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/stripe", HandleAsync).WithName("StripeWebhook").WithTags("Webhook");
        app.MapPost("/", HandleAsync).WithName("StripeWebhookAtRoot").WithTags("Webhook");
        return app;
    }

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> HandleAsync(
        HttpRequest request, WebhookSignature signature, EventProcessor processor, CreditsMetrics metrics, WebhookBodyGate gate,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return Problems.PayloadTooLarge(MaxBodyBytes);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var holdsSlot = false;
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= WebhookBodyGate.SmallBodyBytes && !holdsSlot)
                    {
                        if (!await gate.EnterAsync(cancellationToken))
                        {
                            return Problems.Busy(
                                $"Too many webhook bodies over {WebhookBodyGate.SmallBodyBytes / 1024} KiB are being read at once; nothing was stored and Stripe will retry.");
                        }
                        holdsSlot = true;
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                // Never read past MaxBodyBytes + 1: one byte over is enough to answer 413, and the
                // rest is left unread instead of hitting Kestrel's own body limit (ServerLimits).
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length - length, MaxBodyBytes + 1 - length)), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > MaxBodyBytes)
                {
                    return Problems.PayloadTooLarge(MaxBodyBytes);
                }
            }
            return await ProcessAsync(request, buffer.AsMemory(0, length), signature, processor, metrics, loggers, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (holdsSlot)
            {
                gate.Exit();
            }
        }
    }

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> ProcessAsync(
        HttpRequest request, ReadOnlyMemory<byte> body, WebhookSignature signature, EventProcessor processor, CreditsMetrics metrics,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var check = signature.Verify(request.Headers["Stripe-Signature"].ToString(), body.Span);
        if (!check.IsValid)
        {
            metrics.SignatureFailed(check.Failure.ToString());
            return Problems.BadRequest("Invalid Stripe signature", check.Message!);
        }
        using var evt = StripeEvent.TryParse(body, out var error, out var refusal, out var field);
        if (evt is null)
        {
            metrics.InvalidEvent(refusal!);
            return field is null
                ? Problems.BadRequest("Not a Stripe event", error!)
                : TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Not valid Unicode",
                    extensions: new Dictionary<string, object?> { ["field"] = field });
        }
        try
        {
            var outcome = await processor.ProcessAsync(evt, cancellationToken);
            return TypedResults.Ok(WebhookResponse.From(evt.Id, outcome));
        }
        catch (Exception e) when (e is DbException or TimeoutException)
        {
            Log.Unavailable(loggers.CreateLogger(typeof(WebhookEndpoint)), evt.Id, evt.Type, (e as DbException)?.SqlState ?? "-", e);
            return Problems.Unavailable(
                $"The database could not be reached while processing event {evt.Id}; nothing was stored and Stripe will retry. ({e.GetType().Name})");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await processor.RecordFailureAsync(evt, e, CancellationToken.None);
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Event {EventId} {EventType}: the database failed (SQLSTATE {SqlState}); answered 503, Stripe will retry")]
        public static partial void Unavailable(ILogger logger, string eventId, string eventType, string sqlState, Exception error);
    }
}
