using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Credits.Api;

/// <summary>Reads a JSON request body and says plainly what is wrong with it, instead of a bare 400.</summary>
public static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.BadRequest("Expected JSON", "Send the body as JSON with Content-Type: application/json."));
        }
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await request.ReadFromJsonAsync<T>(options, cancellationToken);
            return value is null
                ? (null, Problems.BadRequest("Empty body", "The body is JSON null; send an object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            return (null, Problems.BadRequest("Invalid JSON", $"The body could not be read{where}: check field names and types ({Clean(e.Message)})."));
        }
    }

    private static string Clean(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
