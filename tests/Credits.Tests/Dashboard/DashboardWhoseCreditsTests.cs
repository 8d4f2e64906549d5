using System.Net.Http.Json;
using Credits.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Credits.Tests.Dashboard;

/// <summary>
/// The dashboard's fixes for credits on the wrong account, in a real headless Chromium against the
/// real app: a parked payment assigned to a suggested candidate in one click, then the purchase
/// moved to another user from the ledger. Checked against the database underneath.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class DashboardWhoseCreditsTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_parked_payment_is_assigned_to_its_candidate_in_one_click_and_then_moved_to_another_user()
    {
        await using var server = await LiveServer.StartAsync(db);
        await using var browser = await HeadlessChromium.LaunchAsync(1280, 900);
        SetDefaultExpectTimeout(10_000);
        var page = await browser.Context.NewPageAsync();
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        var (ada, other) = (StripeEvents.NewId("u_ada"), StripeEvents.NewId("u_other"));
        var email = $"{ada}@example.com";
        (await server.Client.PutAsJsonAsync($"/api/users/{ada}", new { email }, Cancel)).EnsureSuccessStatusCode();
        (await server.Client.PutAsJsonAsync($"/api/users/{other}", new { email = (string?)null }, Cancel)).EnsureSuccessStatusCode();
        var session = StripeEvents.CheckoutSession(userId: StripeEvents.NewId("u_stale"), credits: 50, email: email);
        var sessionId = (string)session["id"]!;
        Assert.Equal("unmatched", (await server.DeliverAsync(StripeEvents.Completed(session))).GetProperty("status").GetString());

        await page.GotoAsync(server.BaseUrl + "/dashboard");
        await page.GetByLabel("API key").FillAsync(CreditsServer.ApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var row = page.Locator($"#unmatched li[data-session='{sessionId}']");
        await Expect(row).ToContainTextAsync("conflicting_accounts");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Assign to {ada}" }).ClickAsync();

        await Expect(page.Locator("#status")).ToContainTextAsync($"Payment {sessionId} assigned to {ada}: granted, 50 credits added");
        await Expect(page.Locator("#user-balance")).ToHaveTextAsync("50");
        Assert.Equal(50, await server.BalanceAsync(ada));

        var move = page.GetByRole(AriaRole.Form, new() { Name = $"Move purchase {sessionId} to another user" });
        await move.GetByLabel("Move to user id").FillAsync(other);
        await move.GetByRole(AriaRole.Button, new() { Name = "Move to another user" }).ClickAsync();

        await Expect(page.Locator("#status")).ToContainTextAsync($"Purchase {sessionId} reassigned");
        await Expect(page.Locator("#user-balance")).ToHaveTextAsync("0");
        Assert.Equal(0, await server.BalanceAsync(ada));
        Assert.Equal(50, await server.BalanceAsync(other));
        var (verifyExit, report) = await CliRunner.RunAsync(db, null, "verify");
        Assert.True(verifyExit == 0, report);
        Assert.Empty(pageErrors);
    }
}
