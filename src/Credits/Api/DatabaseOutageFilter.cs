using System.Data.Common;

namespace Credits.Api;

/// <summary>
/// A database that is down or too slow (pool exhausted, lock or command timeout) answers 503
/// problem+json instead of 500. Spends and grants are keyed, so the client's retry with the same
/// Idempotency-Key is always safe: it either replays a committed answer or does the work once.
/// </summary>
public sealed class DatabaseOutageFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is DbException or TimeoutException && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            context.HttpContext.Response.Headers.RetryAfter = "1";
            return Problems.Unavailable(
                $"The database did not answer in time ({e.GetType().Name}); retry the request (with the same Idempotency-Key): it cannot apply twice.");
        }
    }
}
