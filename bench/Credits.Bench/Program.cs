using System.CommandLine;
using Credits.Bench;

// Run socket continuations on the epoll thread rather than hopping to the thread pool for each response:
// the senders' work per response is a few µs, the hop (wake a worker, park it again) cost ~20 µs of CPU per
// request on the 2 cores the server needs. The runtime reads this once, when the first socket is used, so it
// is set before anything touches the network; a value already in the environment wins, for comparisons.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var url = new Option<string>("--url") { Description = "Base URL of a running Credits server.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
var secret = new Option<string?>("--secret") { Description = "The server's whsec_ signing secret (default: STRIPE_WEBHOOK_SECRET)." };
var apiKey = new Option<string?>("--api-key") { Description = "The server's API key (default: CREDITS_API_KEY)." };
var spend = new Option<bool>("--spend") { Description = "Benchmark POST /api/users/{id}/spend instead of the webhook (accounts are funded by webhook first)." };
var senders = new Option<int>("--senders") { Description = "Concurrent senders.", DefaultValueFactory = _ => 16 };
var events = new Option<int>("--events") { Description = "Unique pre-built requests for the measured phase.", DefaultValueFactory = _ => 40_000 };
var warmup = new Option<int>("--warmup") { Description = "Requests sent before the clock starts.", DefaultValueFactory = _ => 2_000 };
var users = new Option<int>("--users") { Description = "Accounts the requests are spread over.", DefaultValueFactory = _ => 1_000 };
var duration = new Option<double>("--duration") { Description = "Stop starting new requests after this many seconds.", DefaultValueFactory = _ => 20 };
var serverPid = new Option<int?>("--server-pid") { Description = "Server process id, to report its peak RSS (VmHWM)." };
var label = new Option<string>("--label") { Description = "Name printed on the RESULT line.", DefaultValueFactory = _ => "credits" };

var root = new RootCommand("""
    Load generator for Credits: unique, pre-signed checkout.session.completed deliveries (or spends)
    from N keep-alive senders; reports events/s, latency percentiles and status codes, then checks
    that every account moved by exactly what the 2xx answers promised. Exit 1 when it did not.
    """)
{
    url, secret, apiKey, spend, senders, events, warmup, users, duration, serverPid, label,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var options = new BenchOptions
    {
        Url = new Uri(parse.GetValue(url)!),
        WebhookSecret = parse.GetValue(secret) ?? Environment.GetEnvironmentVariable("STRIPE_WEBHOOK_SECRET")
            ?? throw new InvalidOperationException("Pass --secret or set STRIPE_WEBHOOK_SECRET to the server's whsec_ secret."),
        ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("CREDITS_API_KEY")
            ?? throw new InvalidOperationException("Pass --api-key or set CREDITS_API_KEY to the server's API key."),
        Mode = parse.GetValue(spend) ? BenchMode.Spend : BenchMode.Webhook,
        Senders = parse.GetValue(senders),
        Events = parse.GetValue(events),
        Warmup = parse.GetValue(warmup),
        Users = parse.GetValue(users),
        Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
        ServerPid = parse.GetValue(serverPid),
        Label = parse.GetValue(label)!,
    };
    return await new BenchRun(options, Console.Out).RunAsync(cancellationToken);
});
return await root.Parse(args).InvokeAsync();
