using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Credits.Cli;

/// <summary>HTTP to a running Credits server: the API with its bearer key, and signed webhook posts. Failures become one clear sentence.</summary>
public sealed class ServerClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly HttpClient _http;

    public ServerClient(Uri baseUrl, string? apiKey = null)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri BaseUrl { get; }

    public static JsonSerializerOptions SerializerOptions => Json;

    public async Task<JsonElement> GetAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        await ExpectSuccessAsync(new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/')), cancellationToken);

    public async Task<T> GetAsync<T>(string pathAndQuery, CancellationToken cancellationToken) =>
        (await GetAsync(pathAndQuery, cancellationToken)).Deserialize<T>(Json)
        ?? throw new CliException($"GET {pathAndQuery} answered with an empty body.");

    public async Task<JsonElement> PostAsync(string path, object? body, CancellationToken cancellationToken) =>
        await ExpectSuccessAsync(new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = body is null ? null : JsonContent.Create(body, options: Json),
        }, cancellationToken);

    /// <summary>A POST carrying an Idempotency-Key header, for the routes that move credits.</summary>
    public async Task<JsonElement> PostAsync(string path, object? body, string idempotencyKey, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = body is null ? null : JsonContent.Create(body, options: Json),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await ExpectSuccessAsync(request, cancellationToken);
    }

    /// <summary>Posts a signed event body exactly as given; any status comes back (the caller judges it).</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostEventAsync(Uri url, string json, string signatureHeader, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signatureHeader);
        using var response = await SendAsync(request, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonElement> ExpectSuccessAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var response = await SendAsync(request, cancellationToken))
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(Describe(request, response.StatusCode, body));
            }
            try
            {
                return JsonDocument.Parse(body).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode} but not with JSON; is {BaseUrl} a Credits server? Check --url.");
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.RequestUri is { IsAbsoluteUri: true } absolute ? absolute : new Uri(BaseUrl, request.RequestUri!);
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"Could not reach {target} ({e.Message}). Is `credits serve` running there? Check --url.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"{target} did not answer within {_http.Timeout.TotalSeconds:0} s. Check --url and the server's logs.");
        }
    }

    private static string Describe(HttpRequestMessage request, HttpStatusCode status, string body)
    {
        string? title = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }
        var what = $"{request.Method} {request.RequestUri} answered {(int)status} {title ?? status.ToString()}";
        var hint = status == HttpStatusCode.Unauthorized ? " Pass the server's key with --api-key or set CREDITS_API_KEY." : "";
        return detail is null ? $"{what}.{hint}" : $"{what}: {detail}{hint}";
    }
}
