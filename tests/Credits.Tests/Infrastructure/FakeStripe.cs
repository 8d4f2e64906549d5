using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on 127.0.0.1 (ephemeral port) serving the few Stripe routes Credits calls,
/// with Stripe's JSON shapes and pagination. It records every request so tests can assert what was
/// sent. The app reaches it only through STRIPE_API_BASE, exactly as it would reach Stripe.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    public const string SecretKey = "sk_test_fake_0123456789";

    private readonly WebApplication _app;
    private readonly List<JsonObject> _events = [];

    private FakeStripe(WebApplication app)
    {
        _app = app;
    }

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public ConcurrentDictionary<string, JsonObject> Sessions { get; } = new();

    /// <summary>Stripe pages at most 100 events; tests lower this to exercise has_more/starting_after with few events.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>A session's line items, served by GET .../line_items with each Price as an object (its metadata included), as Stripe does.</summary>
    public ConcurrentDictionary<string, IReadOnlyList<FakeLineItem>> LineItems { get; } = new();

    public static async Task<FakeStripe> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeStripe(app);
        app.Use(async (context, next) =>
        {
            var form = context.Request.HasFormContentType
                ? (await context.Request.ReadFormAsync(context.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString())
                : [];
            fake.Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "",
                context.Request.Query.ToDictionary(q => q.Key, q => q.Value.Select(v => v ?? "").ToArray()), form,
                context.Request.Headers.Authorization.ToString()));
            context.Items["form"] = form;
            await next(context);
        });
        app.MapPost("/v1/checkout/sessions", (HttpContext context) => fake.Create((Dictionary<string, string>)context.Items["form"]!));
        app.MapGet("/v1/checkout/sessions/{id}", (string id) =>
            fake.Sessions.TryGetValue(id, out var session) ? Json(session) : Missing("checkout.session", id));
        app.MapGet("/v1/checkout/sessions/{id}/line_items", (string id) => fake.Sessions.ContainsKey(id) ? Json(fake.LineItemList(id)) : Missing("checkout.session", id));
        app.MapGet("/v1/events", (HttpRequest request) => Json(fake.ListEvents(request.Query)));
        await app.StartAsync(TestContext.Current.CancellationToken);
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return fake;
    }

    /// <summary>Points a <see cref="CreditsServer"/> (or CLI) configuration at this fake.</summary>
    public void Configure(IDictionary<string, string?> settings)
    {
        settings["STRIPE_SECRET_KEY"] = SecretKey;
        settings["STRIPE_API_BASE"] = BaseUrl;
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string method, string pathPrefix) =>
        [.. Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal))];

    /// <summary>Completes a session created through the API, as a buyer paying would.</summary>
    public JsonObject Pay(string sessionId, string paymentStatus = "paid")
    {
        var session = Sessions[sessionId];
        session["status"] = "complete";
        session["payment_status"] = paymentStatus;
        return session;
    }

    /// <summary>An event Stripe holds; listed newest first by <c>created</c>, like GET /v1/events.</summary>
    public void AddEvent(string json)
    {
        lock (_events)
        {
            _events.Add(JsonNode.Parse(json)!.AsObject());
        }
    }

    private IResult Create(Dictionary<string, string> form)
    {
        var id = StripeEvents.NewId("cs_test");
        var amount = long.Parse(form.GetValueOrDefault("line_items[0][price_data][unit_amount]") ?? "0", CultureInfo.InvariantCulture)
            * long.Parse(form.GetValueOrDefault("line_items[0][quantity]") ?? "1", CultureInfo.InvariantCulture);
        var session = StripeEvents.CheckoutSession(id, amountTotal: amount, paymentStatus: "unpaid",
            currency: form.GetValueOrDefault("line_items[0][price_data][currency]") ?? "usd", clientReferenceId: form.GetValueOrDefault("client_reference_id"));
        var metadata = new JsonObject();
        foreach (var (key, value) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[key["metadata[".Length..^1]] = value;
        }
        session["metadata"] = metadata;
        session["status"] = "open";
        session["payment_intent"] = null;
        session["mode"] = form.GetValueOrDefault("mode");
        session["success_url"] = form.GetValueOrDefault("success_url");
        session["cancel_url"] = form.GetValueOrDefault("cancel_url");
        session["url"] = $"https://checkout.stripe.com/c/pay/{id}";
        Sessions[id] = session;
        if (form.GetValueOrDefault("line_items[0][price]") is { } price)
        {
            LineItems[id] = [new FakeLineItem(price, long.Parse(form.GetValueOrDefault("line_items[0][quantity]") ?? "1", CultureInfo.InvariantCulture))];
        }
        return Json(session);
    }

    private JsonObject LineItemList(string sessionId)
    {
        var data = new JsonArray();
        foreach (var item in LineItems.GetValueOrDefault(sessionId) ?? [])
        {
            var metadata = new JsonObject();
            if (item.Credits is { } credits)
            {
                metadata["credits"] = credits.ToString(CultureInfo.InvariantCulture);
            }
            var subtotal = item.UnitAmount * item.Quantity;
            data.Add(new JsonObject
            {
                ["id"] = StripeEvents.NewId("li"),
                ["object"] = "item",
                ["amount_discount"] = item.AmountDiscount,
                ["amount_subtotal"] = subtotal,
                ["amount_tax"] = 0,
                ["amount_total"] = subtotal - item.AmountDiscount,
                ["currency"] = "usd",
                ["description"] = "Credits",
                ["price"] = new JsonObject
                {
                    ["id"] = item.PriceId, ["object"] = "price", ["active"] = true, ["billing_scheme"] = "per_unit", ["currency"] = "usd",
                    ["livemode"] = false, ["metadata"] = metadata, ["product"] = StripeEvents.NewId("prod"), ["type"] = "one_time",
                    ["unit_amount"] = item.UnitAmount,
                },
                ["quantity"] = item.Quantity,
            });
        }
        return new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = false, ["url"] = $"/v1/checkout/sessions/{sessionId}/line_items" };
    }

    private JsonObject ListEvents(IQueryCollection query)
    {
        var types = query["types[]"].ToArray();
        var from = long.Parse(query["created[gte]"].FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
        var limit = Math.Min(PageSize, int.Parse(query["limit"].FirstOrDefault() ?? "10", CultureInfo.InvariantCulture));
        List<JsonObject> matching;
        lock (_events)
        {
            matching = [.. _events
                .Select((e, index) => (e, index))
                .Where(x => (types.Length == 0 || types.Contains((string?)x.e["type"])) && (long)x.e["created"]! >= from)
                .OrderByDescending(x => (long)x.e["created"]!).ThenByDescending(x => x.index)
                .Select(x => x.e)];
        }
        if (query["starting_after"].FirstOrDefault() is { } after)
        {
            matching = [.. matching.SkipWhile(e => (string?)e["id"] != after).Skip(1)];
        }
        var data = new JsonArray([.. matching.Take(limit).Select(e => (JsonNode)e.DeepClone())]);
        return new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = matching.Count > limit, ["url"] = "/v1/events" };
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    private static IResult Missing(string kind, string id) => Results.Text(new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = "resource_missing",
            ["message"] = $"No such {kind}: '{id}'",
            ["param"] = "id",
            ["type"] = "invalid_request_error",
        },
    }.ToJsonString(), "application/json", statusCode: 404);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>A line item the fake serves: its Price id, quantity, unit amount, the Price's metadata.credits and the discount on the item.</summary>
public sealed record FakeLineItem(string PriceId, long Quantity, long UnitAmount = 0, long? Credits = null, long AmountDiscount = 0);
