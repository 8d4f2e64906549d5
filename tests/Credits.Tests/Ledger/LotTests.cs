using System.Net;
using System.Text.Json;
using Credits.Ledger;
using Credits.Ledger.Storage;
using Credits.Reconciliation;
using Credits.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Credits.Tests.Ledger;

public sealed class SqliteLotTests(SqliteFixture db) : LotTests<SqliteFixture>(db);

public sealed class PostgresLotTests(PostgresFixture db) : LotTests<PostgresFixture>(db);

/// <summary>The named cases of credit lots: expiry without a sweep, one expiry row per lot, holds across expiry, reversals and debt, spend order.</summary>
public abstract class LotTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A server whose own sweep is off: the tests run the sweep themselves, or prove it was not needed.</summary>
    private Task<CreditsServer> StartAsync() => CreditsServer.StartAsync(db, s => s["CREDITS_EXPIRY_SWEEP_SECONDS"] = "0");

    private static Task<HttpResponseMessage> GrantLotAsync(CreditsServer server, string user, long credits, string? category, DateTimeOffset? expiresAt) =>
        server.PostJsonAsync($"/api/users/{user}/grants",
            JsonSerializer.Serialize(new { credits, reason = "promo", category, expires_at = expiresAt?.ToString("O") }), StripeEvents.NewId("k"));

    private static async Task VerifyAsync(CreditsServer server) =>
        Assert.All(await new LedgerVerifier(server.Database, server.Time).RunAsync(Cancel), r => Assert.True(r.Holds, $"{r.Check.Name}: {string.Join("; ", r.Problems)}"));

    [Fact]
    public async Task Expired_credits_are_refused_one_millisecond_after_expiry_with_no_sweep()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        var expiry = server.Time.GetUtcNow().AddHours(1);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 50, null, expiry));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 10, "before"));

        server.Time.Advance(expiry - server.Time.GetUtcNow() + TimeSpan.FromMilliseconds(1));

        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 1, "after"));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.HoldAsync(user, 1));
        var account = await server.UserAsync(user);
        Assert.Equal((40L, 0L), (account.GetProperty("balance").GetInt64(), account.GetProperty("available").GetInt64()));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @user AND kind = 'expiry'", new { user }));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task The_sweep_run_twice_and_by_two_instances_at_once_writes_one_expiry_row()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(5);
        var expiry = server.Time.GetUtcNow().AddDays(2);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 30, "promotional", expiry));
        server.Time.Advance(TimeSpan.FromDays(3));
        await using var other = new LedgerDatabase(db.Settings());
        var second = new LotExpiry(new CreditLedger(other, server.Time));
        var first = server.Services.GetRequiredService<LotExpiry>();

        var swept = await Task.WhenAll(first.SweepAsync(100, Cancel), second.SweepAsync(100, Cancel));
        var again = await first.SweepAsync(100, Cancel);

        // The class's database is shared, so the sweeps may book other tests' lots too; this user's rows are what counts.
        Assert.True(swept.Sum(s => s.Credits) >= 30);
        Assert.Equal(0, again.Lots);
        Assert.Equal(-30, await server.ScalarAsync<long>("SELECT CAST(SUM(amount) AS bigint) FROM ledger_entries WHERE account_id = @user AND kind = 'expiry'", new { user }));
        Assert.Equal(1, await server.ScalarAsync<long>("SELECT COUNT(*) FROM ledger_entries WHERE account_id = @user AND kind = 'expiry'", new { user }));
        Assert.Equal(5, await server.BalanceAsync(user));
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    [Fact]
    public async Task A_hold_across_an_expiry_captures_in_full()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 40, null, server.Time.GetUtcNow().AddMinutes(10)));
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 40, ttlSeconds: 3600));

        server.Time.Advance(TimeSpan.FromMinutes(30));
        await server.Services.GetRequiredService<LotExpiry>().SweepAsync(100, Cancel);
        await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(hold.GetProperty("id").GetString()!));

        Assert.Equal(0, await server.BalanceAsync(user));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = @user", new { user }));
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    [Fact]
    public async Task Released_credits_of_a_lot_that_expired_under_a_hold_are_booked_as_expired_not_available()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 40, null, server.Time.GetUtcNow().AddMinutes(10)));
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 10, "paid", null));
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 30, ttlSeconds: 3600));
        var sweep = server.Services.GetRequiredService<LotExpiry>();

        server.Time.Advance(TimeSpan.FromMinutes(30));
        await sweep.SweepAsync(100, Cancel);
        Assert.Equal((40L, 10L), await BalanceAndAvailableAsync(server, user));
        await server.ExpectAsync(HttpStatusCode.OK, server.ReleaseAsync(hold.GetProperty("id").GetString()!));
        Assert.Equal((40L, 10L), await BalanceAndAvailableAsync(server, user));
        await server.ExpectAsync(HttpStatusCode.PaymentRequired, server.SpendAsync(user, 11, "s1"));
        await sweep.SweepAsync(100, Cancel);

        Assert.Equal((10L, 10L), await BalanceAndAvailableAsync(server, user));
        var expired = (await server.Database.ReadAsync(c => c.QueryAsync<long>(
            "SELECT amount FROM ledger_entries WHERE account_id = @user AND kind = 'expiry' ORDER BY id", new { user }), Cancel)).ToList();
        Assert.Equal([-10L, -30L], expired);
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    [Fact]
    public async Task An_expired_lot_under_a_hold_does_not_lower_available_twice()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 40, null, server.Time.GetUtcNow().AddMinutes(10)));
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 20, "paid", null));
        var hold = await server.ExpectAsync(HttpStatusCode.Created, server.HoldAsync(user, 40, ttlSeconds: 3600));

        server.Time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal((60L, 20L), await BalanceAndAvailableAsync(server, user));
        var lots = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}/lots", Cancel));
        Assert.Equal([("active", 20L, 0L), ("expired", 40L, 40L)], lots.GetProperty("lots").EnumerateArray()
            .Select(l => (l.GetProperty("state").GetString(), l.GetProperty("remaining").GetInt64(), l.GetProperty("held").GetInt64())));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 20, "s1"));
        await server.ExpectAsync(HttpStatusCode.OK, server.CaptureAsync(hold.GetProperty("id").GetString()!));
        Assert.Equal((0L, 0L), await BalanceAndAvailableAsync(server, user));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = @user", new { user }));
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    private static async Task<(long Balance, long Available)> BalanceAndAvailableAsync(CreditsServer server, string user)
    {
        var account = await server.UserAsync(user);
        return (account.GetProperty("balance").GetInt64(), account.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task Dispute_then_refund_of_the_same_charge_takes_the_purchase_back_once()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 25, null, null));
        var session = StripeEvents.CheckoutSession(userId: user, credits: 100, amountTotal: 1000);
        var paymentIntent = session["payment_intent"]!.GetValue<string>();
        await server.DeliverAsync(StripeEvents.Completed(session));

        await server.DeliverAsync(StripeEvents.Dispute("charge.dispute.created", paymentIntent, 1000, "needs_response", StripeEvents.NewId("dp")));
        await server.DeliverAsync(StripeEvents.Refunded(paymentIntent, 1000, 1000));

        Assert.Equal(25, await server.BalanceAsync(user));
        var lots = (await server.Database.ReadAsync(c => c.QueryAsync<(string, long)>(
            "SELECT source_kind, remaining FROM credit_lots WHERE account_id = @user ORDER BY id", new { user }), Cancel)).ToList();
        Assert.Equal([("grant", 25L), ("checkout_session", 0L)], lots);
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    [Fact]
    public async Task A_refund_of_spent_credits_leaves_debt_that_the_next_purchase_pays_first()
    {
        await using var server = await StartAsync();
        var user = StripeEvents.NewId("u");
        var session = StripeEvents.CheckoutSession(userId: user, credits: 100, amountTotal: 1000);
        await server.DeliverAsync(StripeEvents.Completed(session));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 100, "all"));

        await server.DeliverAsync(StripeEvents.Refunded(session["payment_intent"]!.GetValue<string>(), 1000, 1000));
        Assert.Equal(-100, await server.BalanceAsync(user));
        Assert.Equal(100, (await server.UserAsync(user)).GetProperty("debt").GetInt64());

        await server.DeliverAsync(StripeEvents.Paid(user, 150));

        Assert.Equal(50, await server.BalanceAsync(user));
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT debt FROM accounts WHERE id = @user", new { user }));
        Assert.Equal(50, await server.ScalarAsync<long>("SELECT CAST(SUM(remaining) AS bigint) FROM credit_lots WHERE account_id = @user", new { user }));
        await server.AssertConsistentAsync(user);
        await VerifyAsync(server);
    }

    [Fact]
    public async Task Spends_take_the_soonest_expiry_first_then_promotional_then_oldest_and_the_ledger_names_the_lots()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        var now = server.Time.GetUtcNow();
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 10, "paid", null));
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 10, "promotional", null));
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 10, "paid", now.AddDays(20)));
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, user, 10, "promotional", now.AddDays(5)));
        var ids = (await server.Database.ReadAsync(c => c.QueryAsync<long>("SELECT id FROM credit_lots WHERE account_id = @user ORDER BY id", new { user }), Cancel)).ToList();

        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 35, "big"));

        var ledger = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}/ledger", Cancel));
        var spend = ledger.GetProperty("entries")[0];
        Assert.Equal(
            [(ids[0], -5L), (ids[1], -10L), (ids[2], -10L), (ids[3], -10L)],
            spend.GetProperty("lots").EnumerateArray().Select(p => (p.GetProperty("lot_id").GetInt64(), p.GetProperty("amount").GetInt64())).OrderBy(p => p.Item1));
        var lots = await server.ExpectAsync(HttpStatusCode.OK, server.Client.GetAsync($"/api/users/{user}/lots", Cancel));
        Assert.Equal([("active", 5L), ("spent", 0L), ("spent", 0L), ("spent", 0L)],
            lots.GetProperty("lots").EnumerateArray().Select(l => (l.GetProperty("state").GetString(), l.GetProperty("remaining").GetInt64())));
        await server.AssertConsistentAsync(user);
    }

    [Fact]
    public async Task Expiring_soon_and_transfers_carry_category_and_expiry()
    {
        await using var server = await StartAsync();
        var from = await server.UserWithAsync(0);
        var to = await server.UserWithAsync(0);
        var soon = server.Time.GetUtcNow().AddDays(3);
        await server.ExpectAsync(HttpStatusCode.OK, GrantLotAsync(server, from, 20, "promotional", soon));

        var user = await server.UserAsync(from);
        Assert.Equal(20, user.GetProperty("expiring_soon").GetProperty("credits").GetInt64());
        await server.ExpectAsync(HttpStatusCode.OK, server.PostJsonAsync($"/api/users/{from}/transfers",
            JsonSerializer.Serialize(new { to_user_id = to, credits = 15, reason = "share" }), StripeEvents.NewId("t")));

        var moved = await server.Database.ReadAsync(c => c.QuerySingleAsync<(string, long, long?)>(
            "SELECT category, remaining, expires_at FROM credit_lots WHERE account_id = @to", new { to }), Cancel);
        Assert.Equal(("promotional", 15L, (long?)soon.ToUnixTimeMilliseconds()), moved);
        await server.AssertConsistentAsync(from);
        await server.AssertConsistentAsync(to);
    }

    [Theory]
    [InlineData("""{"credits":5,"reason":"x","category":"gold"}""", "Unknown category")]
    [InlineData("""{"credits":5,"reason":"x","expires_at":"2001-01-01T00:00:00Z"}""", "expires_at is in the past")]
    [InlineData("""{"credits":5,"reason":"x","expires_at":"tomorrow"}""", "Invalid expires_at")]
    public async Task Bad_lot_terms_on_a_grant_are_400_and_change_nothing(string body, string title)
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);

        var problem = await server.ExpectAsync(HttpStatusCode.BadRequest, server.PostJsonAsync($"/api/users/{user}/grants", body, StripeEvents.NewId("k")));

        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM credit_lots WHERE account_id = @user", new { user }));
        Assert.Equal(0, await server.BalanceAsync(user));
    }

    [Fact]
    public async Task The_ledger_exports_as_csv_with_lot_ids_and_escapes_formulas()
    {
        await using var server = await StartAsync();
        var user = await server.UserWithAsync(0);
        await server.ExpectAsync(HttpStatusCode.OK, server.GrantAsync(user, 30, "g1", "=HYPERLINK(\"x\")"));
        await server.ExpectAsync(HttpStatusCode.OK, server.SpendAsync(user, 12, "s1", "match, \"quoted\""));
        var lot = await server.ScalarAsync<long>("SELECT id FROM credit_lots WHERE account_id = @user", new { user });

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{user}/ledger");
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await server.Client.SendAsync(request, Cancel);
        var csv = await response.Content.ReadAsStringAsync(Cancel);
        var byQuery = await server.Client.GetStringAsync($"/api/users/{user}/ledger?format=csv", Cancel);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,created_at,amount,kind,source_kind,source_id,reason,lots", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains($",-12,spend,spend,{user}:s1,\"match, \"\"quoted\"\"\",{lot}:-12", lines[1]);
        Assert.Contains($",30,grant,grant,{user}:g1,\"'=HYPERLINK(\"\"x\"\")\",{lot}:30", lines[2]);
        Assert.Equal(csv, byQuery);
        await server.ExpectAsync(HttpStatusCode.BadRequest, server.Client.GetAsync($"/api/users/{user}/ledger?format=xml", Cancel));
    }
}
