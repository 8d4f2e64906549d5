using System.Text.Json;
using Credits.Ledger.Storage;
using Credits.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Credits.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium against the real app on Kestrel (SQLite: one database
/// is enough for the page). What the page shows is checked against the database underneath.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class DashboardBrowserTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static string ArtifactsDirectory => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    [Fact]
    public async Task Operator_signs_in_sees_a_grant_assigns_a_payment_and_replays_a_failed_event()
    {
        await using var server = await LiveServer.StartAsync(db);
        await using var browser = await HeadlessChromium.LaunchAsync(1280, 900);
        SetDefaultExpectTimeout(10_000);
        var page = await browser.Context.NewPageAsync();
        var pageErrors = new List<string>();
        // Script errors and CSP refusals fail the test; an HTTP error status is the page's to show (the 404 below).
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                pageErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => pageErrors.Add(error);

        await page.GotoAsync(server.BaseUrl + "/dashboard");
        await page.GetByLabel("API key").FillAsync(CreditsServer.ApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Updated");
        Assert.Equal(CreditsServer.ApiKey, await page.EvaluateAsync<string>("sessionStorage.getItem('credits.apiKey')"));

        // A webhook grant shows up in the latest events, the chart legend and the credit totals.
        var buyer = StripeEvents.NewId("u_buyer");
        var grant = await server.DeliverAsync(StripeEvents.Completed(StripeEvents.CheckoutSession(userId: buyer, credits: 50, amountTotal: 500)));
        var grantId = grant.GetProperty("event_id").GetString()!;
        await RefreshAsync(page);
        await Expect(page.Locator($"#latest tr[data-event='{grantId}']")).ToContainTextAsync("granted");
        await Expect(page.Locator("#events-legend li[data-outcome='granted']")).ToHaveTextAsync("granted 1");
        await Expect(page.Locator("#credits-granted")).ToHaveTextAsync("50");

        // Two payments nobody can be found for; one is assigned from the page.
        var parked = await ParkAsync(server, 40);
        var stillParked = await ParkAsync(server, 200);
        await RefreshAsync(page);
        var row = page.Locator($"#unmatched li[data-session='{parked}']");
        await Expect(row).ToContainTextAsync("40 credits");
        await Expect(page.Locator("#unmatched-waiting")).ToHaveTextAsync("2");
        var assignee = StripeEvents.NewId("u_assignee");
        await row.GetByLabel("Assign to user id").FillAsync(assignee);
        await row.GetByRole(AriaRole.Button, new() { Name = $"Assign payment {parked} to this user" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync($"Payment {parked} assigned to {assignee}: granted, 40 credits added");
        await Expect(page.Locator("#user-balance")).ToHaveTextAsync("40");
        await Expect(page.Locator("#ledger tbody")).ToContainTextAsync(parked);
        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.Locator($"#unmatched li[data-session='{stillParked}']")).ToHaveCountAsync(1);
        Assert.Equal(40, await server.BalanceAsync(assignee));
        Assert.Equal("granted", await ScalarAsync<string>(server, "SELECT status FROM checkout_payments WHERE session_id = @parked", new { parked }));

        // A failed delivery is listed with its error and replayed from the page.
        var (failedId, failedUser) = await InsertFailedEventAsync(server, "database timeout (simulated)");
        var (stillFailedId, _) = await InsertFailedEventAsync(server, "line items could not be fetched (simulated)");
        await RefreshAsync(page);
        var failedRow = page.Locator($"#failed li[data-event='{failedId}']");
        await Expect(failedRow).ToContainTextAsync("database timeout (simulated)");
        await failedRow.GetByRole(AriaRole.Button, new() { Name = $"Replay event {failedId}" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync($"Event {failedId} replayed: granted");
        await Expect(failedRow).ToHaveCountAsync(0);
        Assert.Equal(25, await server.BalanceAsync(failedUser));
        Assert.Equal("granted", await ScalarAsync<string>(server, "SELECT status FROM webhook_events WHERE id = @failedId", new { failedId }));

        // A problem+json detail reaches the person: an unknown user.
        await page.GetByLabel("User id", new() { Exact = true }).FillAsync("u_nobody_here");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show user" }).ClickAsync();
        await Expect(page.Locator("#user")).ToContainTextAsync("No user 'u_nobody_here'");

        // Back to the assignee for the picture, then the day view and a phone-sized picture.
        await page.GetByLabel("User id", new() { Exact = true }).FillAsync(assignee);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show user" }).ClickAsync();
        await Expect(page.Locator("#user h3")).ToContainTextAsync(assignee);
        await Expect(page.Locator($"#failed li[data-event='{stillFailedId}']")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, "dashboard.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Last day" }).ClickAsync();
        await Expect(page.Locator("#events-caption")).ToContainTextAsync("over the last day, per hour");
        await Expect(page.Locator("#events-legend li[data-outcome='granted']")).ToHaveTextAsync("granted 2");
        await Expect(page.Locator("#events-legend li[data-outcome='unmatched']")).ToHaveTextAsync("unmatched 2");
        await Expect(page.Locator("#events-legend li[data-outcome='failed']")).ToHaveTextAsync("failed 1");
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, "dashboard-phone.png"), FullPage = true });
        Assert.Empty(pageErrors);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_the_servers_sentence_and_nothing_is_shown()
    {
        await using var server = await LiveServer.StartAsync(db);
        await using var browser = await HeadlessChromium.LaunchAsync(1280, 900);
        SetDefaultExpectTimeout(10_000);
        var page = await browser.Context.NewPageAsync();

        await page.GotoAsync(server.BaseUrl + "/dashboard");
        await page.GetByLabel("API key").FillAsync("not-the-key-0123456789");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#status")).ToContainTextAsync("Signed out:");
        await Expect(page.Locator("#panels")).ToBeHiddenAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('credits.apiKey')"));
    }

    /// <summary>The page refreshes itself every 5 s; the button makes the test not wait for it.</summary>
    private static Task RefreshAsync(IPage page) =>
        page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();

    private static async Task<string> ParkAsync(LiveServer server, long credits)
    {
        var session = StripeEvents.CheckoutSession(credits: credits, email: $"{StripeEvents.NewId("stranger")}@example.com", amountTotal: credits * 10, currency: "usd");
        var body = await server.DeliverAsync(StripeEvents.Completed(session));
        Assert.Equal("unmatched", body.GetProperty("status").GetString());
        return session["id"]!.GetValue<string>();
    }

    /// <summary>A real purchase event stored as failed, as EventProcessor leaves one whose processing threw.</summary>
    private static async Task<(string EventId, string UserId)> InsertFailedEventAsync(LiveServer server, string error)
    {
        var user = StripeEvents.NewId("u_replayed");
        var json = StripeEvents.Completed(StripeEvents.CheckoutSession(userId: user, credits: 25, amountTotal: 250));
        var id = JsonDocument.Parse(json).RootElement.GetProperty("id").GetString()!;
        var database = server.Services.GetRequiredService<LedgerDatabase>();
        await using var tx = await database.BeginAsync(Cancel);
        await tx.ExecuteAsync(
            """
            INSERT INTO webhook_events (id, type, payload, status, credits_added, error, attempts, received_at)
            VALUES (@id, 'checkout.session.completed', @json, 'failed', 0, @error, 1, @at)
            """, new { id, json, error, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, Cancel);
        await tx.CommitAsync(Cancel);
        return (id, user);
    }

    private static Task<T?> ScalarAsync<T>(LiveServer server, string sql, object args) =>
        server.Services.GetRequiredService<LedgerDatabase>().ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<T>(c, sql, args), Cancel);
}
