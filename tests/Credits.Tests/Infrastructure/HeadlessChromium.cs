using Microsoft.Playwright;

namespace Credits.Tests.Infrastructure;

/// <summary>
/// Debian's chromium driven by Playwright's bundled driver, offline: no browser download, a fresh
/// profile per test, and no traffic to anywhere but the loopback server under test.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly DirectoryInfo _profile;

    private HeadlessChromium(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
    }

    public IBrowserContext Context => _context;

    /// <summary>Skips the calling test, saying why, when this machine has no chromium (./test.sh installs it).</summary>
    public static async Task<HeadlessChromium> LaunchAsync(int width, int height, bool javaScript = true)
    {
        Assert.SkipWhen(!File.Exists(ExecutablePath),
            $"Chromium not found at {ExecutablePath}: install Debian's chromium package (./test.sh does) to run the dashboard browser test.");
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("credits-chromium-");
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
            JavaScriptEnabled = javaScript,
        });
        return new HeadlessChromium(playwright, context, profile);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        _playwright.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
