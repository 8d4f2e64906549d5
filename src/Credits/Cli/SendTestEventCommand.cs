using System.CommandLine;
using System.Text.Json;
using Credits.Configuration;
using Credits.Stripe;

namespace Credits.Cli;

/// <summary><c>credits send-test-event</c>: one realistic signed Stripe event, posted to a server, its answer printed.</summary>
public static class SendTestEventCommand
{
    public static Command Create(TimeProvider time)
    {
        var kind = new Option<string>("--kind")
        {
            Description = $"Which event: {string.Join(", ", TestEvents.Kinds.Keys)} (completed is paid).",
            DefaultValueFactory = _ => "completed",
        };
        kind.AcceptOnlyFromAmong([.. TestEvents.Kinds.Keys]);
        var user = new Option<string?>("--user") { Description = "metadata.user_id and client_reference_id of the session (default u_test)." };
        var anonymous = new Option<bool>("--anonymous") { Description = "Send no user id at all, so the server matches by --email or parks the payment." };
        var credits = new Option<long?>("--credits") { Description = "metadata.credits; omit to let the server match a pack by --amount and --currency." };
        credits.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is { } value && value is < 1 or > CreditLimits.MaxCredits)
            {
                r.AddError($"--credits must be between 1 and {CreditLimits.MaxCredits}; got {value}.");
            }
        });
        var amount = new Option<long>("--amount") { Description = "amount_total in the smallest currency unit, e.g. 500 = $5.00.", DefaultValueFactory = _ => 500 };
        amount.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 0)
            {
                r.AddError("--amount must be zero or more (cents).");
            }
        });
        var currency = new Option<string>("--currency") { Description = "Lowercase ISO currency.", DefaultValueFactory = _ => "usd" };
        var email = new Option<string?>("--email") { Description = "customer_details.email of the buyer." };
        var session = new Option<string?>("--session") { Description = "Reuse a Checkout Session id (cs_...), e.g. async-succeeded after completed-unpaid." };
        var paymentIntent = new Option<string?>("--payment-intent") { Description = "Reuse a payment intent (pi_...): refund or dispute an earlier test purchase." };
        var dispute = new Option<string?>("--dispute") { Description = "Reuse a dispute id (dp_...): dispute-won or dispute-lost closes an earlier test dispute." };
        var refunded = new Option<long?>("--refunded") { Description = "refund: cumulative amount_refunded (default the whole --amount)." };
        var url = CliOptions.WebhookUrl();
        var secret = CliOptions.Secret();
        var json = CliOptions.Json();

        var command = new Command("send-test-event", """
            Build a realistic, fully shaped Stripe event, sign it like Stripe does, POST it to the webhook and print the answer.
            The exit code is 0 for a 2xx answer, 1 otherwise. The secret defaults to the one `credits serve` generated in ./data.

            Examples:
              credits send-test-event --user u_123 --credits 50
              credits send-test-event --kind completed-unpaid --user u_123 --credits 50      # then, with the printed session id:
              credits send-test-event --kind async-succeeded --session cs_test_... --user u_123 --credits 50
              credits send-test-event --kind refund --payment-intent pi_test_... --amount 500 --refunded 250
              credits send-test-event --url https://credits.example.com/webhooks/stripe --secret whsec_...
            """)
        {
            kind, user, anonymous, credits, amount, currency, email, session, paymentIntent, dispute, refunded, url, secret, json,
        };
        command.SetCliAction(async (context, cancellationToken) =>
        {
            var request = new TestEventRequest(context.Get(kind))
            {
                UserId = context.Get(anonymous) ? null : context.Get(user) ?? "u_test",
                Credits = context.Get(credits),
                Amount = context.Get(amount),
                Currency = context.Get(currency),
                Email = context.Get(email),
                SessionId = context.Get(session),
                PaymentIntent = context.Get(paymentIntent),
                DisputeId = context.Get(dispute),
                RefundedAmount = context.Get(refunded),
            };
            var target = context.Get(url);
            var signingSecret = CliOptions.ResolveSecret(context, secret);
            var evt = TestEvents.Build(request, time.GetUtcNow());
            using var client = new ServerClient(target);
            var (status, body) = await client.PostEventAsync(target, evt.Json, TestEvents.SignatureHeader(evt.Json, signingSecret, time.GetUtcNow()), cancellationToken);
            var ok = (int)status is >= 200 and < 300;
            if (context.Get(json))
            {
                await context.Out.WriteLineAsync(body);
                return ok ? 0 : CliException.Failed;
            }
            var ids = evt.SessionId is null ? $"{evt.ObjectId}, payment_intent {evt.PaymentIntent}" : $"session {evt.SessionId}, payment_intent {evt.PaymentIntent}";
            await context.Out.WriteLineAsync($"POST {target} {evt.Type} {evt.EventId} ({ids})");
            await context.Out.WriteLineAsync($"{(int)status} {status}");
            await context.Out.WriteLineAsync(Pretty(body));
            return ok ? 0 : CliException.Failed;
        });
        return command;
    }

    private static string Pretty(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return CliFormat.Pretty(document.RootElement);
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
