using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

/// <summary>Headless Debian Chromium driven by Playwright (it cannot download its own browser here).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots are kept as test artefacts: <c>artifacts/screenshots/</c> at the repository root
    /// (git-ignored; the test script leaves it in place), named page-state-size.</summary>
    public static string Screenshots { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GivingDay.slnx"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A page in a browser set to en-US in New York, as a visitor from abroad would have it: the pages must still
    /// show Chinese first and Beijing time. Console errors and page errors go to <paramref name="errors"/>.</summary>
    public async Task<IPage> OpenAsync(Uri app, string path, int width = 390, int height = 844, List<string>? errors = null)
    {
        var context = await NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height }, Locale = "en-US", TimezoneId = "America/New_York", AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        if (errors is not null)
        {
            // "Failed to load resource" is the browser logging an HTTP error status the page asked for and handles (a wrong key's 401).
            page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource")) lock (errors) errors.Add($"{path}: {m.Text}"); };
            page.PageError += (_, e) => { lock (errors) errors.Add($"{path}: {e}"); };
        }
        await page.GotoAsync(new Uri(app, path).ToString());
        return page;
    }

    /// <summary>A browser context that <see cref="CloseContextsAsync"/> closes at the end of the test.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        var context = await Browser.NewContextAsync(options);
        lock (_contexts) _contexts.Add(context);
        return context;
    }

    /// <summary>Closes every context opened since the last call. A page left open goes on polling, counting up and
    /// ticking its countdown, and so slows every test after it.</summary>
    public async Task CloseContextsAsync()
    {
        IBrowserContext[] open;
        lock (_contexts) { open = [.. _contexts]; _contexts.Clear(); }
        foreach (var context in open) await context.CloseAsync();
    }

    private readonly List<IBrowserContext> _contexts = [];

    public async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        Playwright.Dispose();
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;

/// <summary>A test in the browser collection: the pages it opened are closed when it ends.</summary>
public abstract class BrowserTest(BrowserFixture browser) : IAsyncLifetime
{
    protected BrowserFixture Browser { get; } = browser;
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => Browser.CloseContextsAsync();
}
