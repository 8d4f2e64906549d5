using System.Globalization;
using System.Text;
using System.Text.Json;
using Credits.Configuration;
using Stripe;
using Stripe.Checkout;

namespace Credits.Stripe.Api;

/// <summary>
/// <see cref="IStripeApi"/> on Stripe.net, pointed at STRIPE_API_BASE. Each attempt has a short
/// timeout and Stripe.net retries network errors, 409s, 5xx and answers marked Stripe-Should-Retry
/// (with an idempotency key on POSTs, so a retried creation never makes two sessions).
/// </summary>
public sealed class StripeApiClient : IStripeApi, IDisposable
{
    /// <summary>Per attempt. Stripe answers in well under a second; 80 s (Stripe.net's default) would hold a buyer's page.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    public const int MaxNetworkRetries = 2;

    private const int EventPageSize = 100;

    private readonly HttpClient? _http;
    private readonly StripeClient? _client;

    public StripeApiClient(CreditsOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.StripeSecretKey))
        {
            return;
        }
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = AttemptTimeout,
        };
        var http = new SystemNetHttpClient(_http, MaxNetworkRetries, new AppInfo { Name = "credits", Version = CreditsApp.Version }, enableTelemetry: false);
        _client = new StripeClient(options.StripeSecretKey.Trim(), httpClient: http, apiBase: options.StripeApiBase.TrimEnd('/'));
    }

    public bool IsConfigured => _client is not null;

    public async Task<CreatedCheckoutSession> CreateCheckoutSessionAsync(NewCheckoutSession session, CancellationToken cancellationToken)
    {
        var pack = session.Pack;
        var lineItem = new SessionLineItemOptions { Quantity = session.Quantity };
        if (!string.IsNullOrWhiteSpace(pack.PriceId))
        {
            lineItem.Price = pack.PriceId;
        }
        else
        {
            lineItem.PriceData = new SessionLineItemPriceDataOptions
            {
                Currency = pack.Currency,
                UnitAmount = pack.UnitAmount,
                ProductData = new SessionLineItemPriceDataProductDataOptions { Name = pack.Name ?? $"{pack.Credits} credits" },
            };
        }
        var created = await new SessionService(Client).CreateAsync(new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = session.UserId,
            CustomerEmail = session.CustomerEmail,
            SuccessUrl = session.SuccessUrl,
            CancelUrl = session.CancelUrl,
            LineItems = [lineItem],
            Metadata = new Dictionary<string, string>
            {
                ["user_id"] = session.UserId,
                ["credits"] = session.Credits.ToString(CultureInfo.InvariantCulture),
                ["pack_id"] = pack.Id,
            },
        }, cancellationToken: cancellationToken);
        return new CreatedCheckoutSession(created.Id, created.Url);
    }

    public async Task<string> GetCheckoutSessionJsonAsync(string sessionId, CancellationToken cancellationToken) =>
        (await Client.RawRequestAsync(HttpMethod.Get, $"/v1/checkout/sessions/{Uri.EscapeDataString(sessionId)}",
            cancellationToken: cancellationToken)).Content;

    public async Task<IReadOnlyList<LineItemPrice>> GetLineItemPricesAsync(string sessionId, CancellationToken cancellationToken)
    {
        var prices = new List<LineItemPrice>();
        var items = new SessionLineItemService(Client).ListAutoPagingAsync(sessionId, new SessionLineItemListOptions { Limit = 100, Expand = ["data.price"] },
            cancellationToken: cancellationToken);
        await foreach (var item in items)
        {
            if (item.Price?.Id is { Length: > 0 } price)
            {
                var credits = item.Price.Metadata?.GetValueOrDefault("credits") is { } text
                    && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var each) ? each : (long?)null;
                prices.Add(new LineItemPrice(price, item.Quantity ?? 1, credits));
            }
        }
        return prices;
    }

    public async Task<StripeEventPage> ListEventsAsync(
        IReadOnlyList<string> types, DateTimeOffset createdFrom, string? startingAfter, CancellationToken cancellationToken)
    {
        // Raw, not EventService: the events are handed to the webhook's own code exactly as Stripe
        // sent them, whatever their api_version, never re-serialised from Stripe.net's types.
        var query = new StringBuilder($"/v1/events?limit={EventPageSize}&created[gte]={createdFrom.ToUnixTimeSeconds()}");
        foreach (var type in types)
        {
            query.Append("&types[]=").Append(Uri.EscapeDataString(type));
        }
        if (startingAfter is not null)
        {
            query.Append("&starting_after=").Append(Uri.EscapeDataString(startingAfter));
        }
        var response = await Client.RawRequestAsync(HttpMethod.Get, query.ToString(), cancellationToken: cancellationToken);
        using var document = JsonDocument.Parse(response.Content);
        var root = document.RootElement;
        var events = new List<string>();
        string? lastId = null;
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in data.EnumerateArray())
            {
                events.Add(item.GetRawText());
                lastId = item.Text("id") ?? lastId;
            }
        }
        return new StripeEventPage(events, root.Boolean("has_more") == true, lastId);
    }

    private StripeClient Client => _client
        ?? throw new InvalidOperationException("STRIPE_SECRET_KEY is not set; Credits cannot call the Stripe API without it.");

    public void Dispose() => _http?.Dispose();
}
