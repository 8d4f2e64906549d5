using System.Security.Cryptography;
using System.Text;
using Credits.Configuration;

namespace Credits.Api;

/// <summary>Every /api route needs <c>Authorization: Bearer {CREDITS_API_KEY}</c>.</summary>
public sealed class ApiKeyFilter(LocalSecrets secrets) : IEndpointFilter
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(secrets.ApiKey));

    /// <summary>True when the request carries the configured API key (compared in constant time).</summary>
    public bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), _expected);
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (IsAuthorized(context.HttpContext.Request))
        {
            return next(context);
        }
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(TypedResults.Problem(
            string.IsNullOrEmpty(header)
                ? "This route needs an Authorization: Bearer <CREDITS_API_KEY> header."
                : "The bearer token is not the configured CREDITS_API_KEY.",
            statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized"));
    }
}
