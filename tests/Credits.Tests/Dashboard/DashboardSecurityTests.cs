using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Credits.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Credits.Tests.Dashboard;

/// <summary>
/// The dashboard cannot leak the key or run what it shows: every asset carries a strict CSP
/// (frame-ancestors 'none', scripts only from this server), nosniff and no-referrer; the sign-in
/// form sends the key in no URL, even with script off; hostile emails, reasons and error texts
/// (HTML, right-to-left marks, javascript: URLs) are shown as text in a real headless Chromium.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed partial class DashboardSecurityTests(SqliteFixture db) : IClassFixture<SqliteFixture>
{
    private const string Html = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
    private const string Rtl = "\u202Egnp.exe";
    private const string JavascriptUrl = "javascript:window.__pwned=3";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/dashboard/dashboard.js")]
    [InlineData("/dashboard/dashboard.css")]
    public async Task Every_dashboard_asset_carries_the_security_headers(string path)
    {
        await using var server = await CreditsServer.StartAsync(db);
        server.Client.DefaultRequestHeaders.Authorization = null;

        using var response = await server.Client.GetAsync(path, Cancel);

        response.EnsureSuccessStatusCode();
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task The_sign_in_form_sends_the_key_in_no_url_even_without_script()
    {
        await using var server = await LiveServer.StartAsync(db);
        SetDefaultExpectTimeout(10_000);
        var html = await server.Client.GetStringAsync("/dashboard", Cancel);
        var form = LoginForm().Match(html);
        Assert.True(form.Success, "no sign-in form in the page");
        Assert.Contains("method=\"post\"", form.Value, StringComparison.Ordinal);
        // An input without a name is never part of a form submission, whatever the method.
        Assert.DoesNotMatch("<input[^>]*id=\"api-key\"[^>]*\\sname=", form.Value);

        foreach (var script in new[] { false, true })
        {
            await using var browser = await HeadlessChromium.LaunchAsync(1024, 768, javaScript: script);
            var page = await browser.Context.NewPageAsync();
            var urls = new List<string>();
            page.Request += (_, request) => urls.Add(request.Url);
            await page.GotoAsync(server.BaseUrl + "/dashboard");
            await page.GetByLabel("API key").FillAsync(CreditsServer.ApiKey);
            await page.GetByLabel("API key").PressAsync("Enter");
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

            Assert.DoesNotContain(CreditsServer.ApiKey, page.Url, StringComparison.Ordinal);
            Assert.All(urls, url => Assert.DoesNotContain(CreditsServer.ApiKey, Uri.UnescapeDataString(url), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Hostile_emails_reasons_and_errors_render_as_text()
    {
        await using var server = await LiveServer.StartAsync(db);
        await using var browser = await HeadlessChromium.LaunchAsync(1280, 900);
        SetDefaultExpectTimeout(10_000);
        var user = StripeEvents.NewId("u_hostile");
        var email = $"<img/src=x/onerror=window.__pwned=4>{Rtl}@example.com";
        var reason = $"{Html} {JavascriptUrl} {Rtl}";
        (await server.Client.PutAsJsonAsync($"/api/users/{user}", new { email }, Cancel)).EnsureSuccessStatusCode();
        using (var grant = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{user}/grants") { Content = JsonContent.Create(new { credits = 5, reason }) })
        {
            grant.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            (await server.Client.SendAsync(grant, Cancel)).EnsureSuccessStatusCode();
        }
        // A parked payment whose buyer email and metadata are hostile.
        var session = StripeEvents.CheckoutSession(credits: 7, email: $"{JavascriptUrl}{Rtl}@example.org");
        session["metadata"]!["note"] = Html;
        await server.DeliverAsync(StripeEvents.Completed(session));

        var page = await browser.Context.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/dashboard");
        await page.GetByLabel("API key").FillAsync(CreditsServer.ApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Updated");
        var parked = page.Locator($"#unmatched li[data-session='{session["id"]}']");
        await Expect(parked).ToContainTextAsync($"{JavascriptUrl}{Rtl}@example.org".ToLowerInvariant());
        await page.GetByLabel("User id", new() { Exact = true }).FillAsync(user);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show user" }).ClickAsync();
        await Expect(page.Locator("#user h3")).ToContainTextAsync(email.ToLowerInvariant());
        await Expect(page.Locator("#ledger tbody")).ToContainTextAsync(reason);

        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned ?? null"));
        Assert.Equal(0, await page.Locator("main img, main script, main a[href^='javascript']").CountAsync());
        Assert.Equal(0, await page.Locator("#panels a").CountAsync());
    }

    [GeneratedRegex("<form id=\"login-form\"[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex LoginForm();
}
