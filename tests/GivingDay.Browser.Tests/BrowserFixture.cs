using Microsoft.Playwright;

[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace GivingDay.Browser.Tests;

/// <summary>Debian's Chromium headless shell driven by Playwright (it cannot download its own browser here): one Chromium for
/// the whole run, shared by the collections (<see cref="BrowserCollections"/>), each with pages of its own.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public IBrowser Browser { get; private set; } = null!;

    private static readonly SemaphoreSlim Shared = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _chromium;
    private static int _users;

    /// <summary>Where the screenshots are kept as test artefacts: <c>artifacts/screenshots/</c> at the repository root
    /// (git-ignored; the test script leaves it in place), named page-state-size.</summary>
    public static string Screenshots { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GivingDay.slnx"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }

    /// <summary>Debian's chromium-headless-shell: the same Chromium in the headless mode Playwright itself runs headless
    /// tests in, without the full browser's window layers (about 40% less CPU than /usr/bin/chromium for these tests).</summary>
    private const string HeadlessShell = "/usr/bin/chromium-headless-shell";

    public async Task InitializeAsync()
    {
        if (!File.Exists(HeadlessShell)) throw new InvalidOperationException($"{HeadlessShell} is missing: run scripts/install-tools.sh --browser.");
        await Shared.WaitAsync();
        try
        {
            if (_users++ == 0)
            {
                Directory.CreateDirectory(Screenshots);
                _playwright = await Playwright.CreateAsync();
                _chromium = await _playwright.Chromium.LaunchAsync(new()
                {
                    ExecutablePath = HeadlessShell,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                });
            }
            Browser = _chromium!;
        }
        finally { Shared.Release(); }
    }

    /// <summary>A page in a browser set to en-US in New York, as a visitor from abroad would have it: the pages must still
    /// show Chinese first and Beijing time. Console errors and page errors go to <paramref name="errors"/>. The console's
    /// confirm before closing a campaign is answered yes.</summary>
    /// <remarks>Pages are kept from test to test (a new context and page cost about 2 s here, a navigation 0.3 s): when a
    /// test ends each of its pages has its storage cleared, its handlers removed and is left on about:blank.</remarks>
    public async Task<IPage> OpenAsync(Uri app, string path, int width = 390, int height = 844, List<string>? errors = null)
    {
        var page = _free.TryPop(out var free) ? free : await NewVisitorPageAsync();
        var lease = new Lease(page);
        lock (_leased) _leased.Add(lease);
        await page.SetViewportSizeAsync(width, height);
        if (errors is not null)
        {
            // "Failed to load resource" is the browser logging an HTTP error status the page asked for and handles (a wrong key's 401).
            EventHandler<IConsoleMessage> console = (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource")) lock (errors) errors.Add($"{path}: {m.Text}"); };
            EventHandler<string> pageError = (_, e) => { lock (errors) errors.Add($"{path}: {e}"); };
            page.Console += console;
            page.PageError += pageError;
            lease.Detach = () => { page.Console -= console; page.PageError -= pageError; };
        }
        await page.GotoAsync(new Uri(app, path).ToString());
        return page;
    }

    private async Task<IPage> NewVisitorPageAsync()
    {
        // A context (a window) each: a page behind another in the same window gets no frames, and every screenshot and
        // click on it then waits for one.
        var context = await Browser.NewContextAsync(new() { Locale = "en-US", TimezoneId = "America/New_York", AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.Dialog += (_, d) => d.AcceptAsync();
        return page;
    }

    /// <summary>A browser context of the test's own, closed when the test ends.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        var context = await Browser.NewContextAsync(options);
        lock (_contexts) _contexts.Add(context);
        return context;
    }

    /// <summary>Ends the test's use of the browser: its own contexts are closed, and the pages it opened are emptied and
    /// kept for the next test. A page left as it was would go on polling, counting up and ticking its countdown, and slow
    /// every test after it.</summary>
    public async Task EndTestAsync()
    {
        IBrowserContext[] contexts; Lease[] leased;
        lock (_contexts) { contexts = [.. _contexts]; _contexts.Clear(); }
        lock (_leased) { leased = [.. _leased]; _leased.Clear(); }
        foreach (var context in contexts) await context.CloseAsync();
        foreach (var lease in leased)
        {
            lease.Detach();
            try
            {
                await lease.Page.EvaluateAsync("() => { try { localStorage.clear(); sessionStorage.clear(); } catch { } }");
                await lease.Page.GotoAsync("about:blank");
                _free.Push(lease.Page);
            }
            catch (PlaywrightException)
            {
                await lease.Page.Context.CloseAsync(); // not known to be clean: not reused
            }
        }
    }

    private sealed class Lease(IPage page)
    {
        public IPage Page { get; } = page;
        public Action Detach { get; set; } = () => { };
    }

    private readonly Stack<IPage> _free = new();
    private readonly List<Lease> _leased = [];
    private readonly List<IBrowserContext> _contexts = [];

    public async Task DisposeAsync()
    {
        foreach (var page in _free) await page.Context.CloseAsync();
        await Shared.WaitAsync();
        try
        {
            if (--_users == 0)
            {
                await _chromium!.CloseAsync();
                _playwright!.Dispose();
            }
        }
        finally { Shared.Release(); }
    }
}

/// <summary>The browser tests run in three collections side by side (MaxParallelThreads above), each test class in one of
/// them and each collection one test at a time. Much of a browser test is waiting (for the app's queue and timers, for
/// the page's polling), so three lanes on two cores finish sooner than one: 58 s against 79 s, measured. They share one
/// Chromium: a browser and an app per class, six of each at once, were slower than one lane (f9ed899).</summary>
public static class BrowserCollections
{
    public const string Visitor = "browser: campaign pages";
    public const string Lifecycle = "browser: a campaign's life";
    public const string Organiser = "browser: organiser console";
}

[CollectionDefinition(BrowserCollections.Visitor)]
public sealed class VisitorCollection : ICollectionFixture<BrowserFixture>;

[CollectionDefinition(BrowserCollections.Lifecycle)]
public sealed class LifecycleCollection : ICollectionFixture<BrowserFixture>;

[CollectionDefinition(BrowserCollections.Organiser)]
public sealed class OrganiserCollection : ICollectionFixture<BrowserFixture>;

/// <summary>A browser test: the pages it opened are let go when it ends (<see cref="BrowserFixture.EndTestAsync"/>).</summary>
public abstract class BrowserTest(BrowserFixture browser) : IAsyncLifetime
{
    protected BrowserFixture Browser { get; } = browser;
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => Browser.EndTestAsync();
}
