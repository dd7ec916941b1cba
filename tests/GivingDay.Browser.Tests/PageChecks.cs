using System.Text.Json;
using Deque.AxeCore.Commons;
using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

/// <summary>What every page in every state is checked for: a screenshot kept as an artefact, no serious or critical
/// accessibility violation (axe-core), and no horizontal scroll.</summary>
public static class PageChecks
{
    /// <summary>Screenshot as <c>{page}-{state}-{width}x{height}.png</c>, then axe-core and the horizontal-scroll check.</summary>
    public static async Task CheckAsync(IPage page, string name, string state)
    {
        await ShotAsync(page, name, state);
        await AssertAccessibleAsync(page, $"{name} ({state})");
        await AssertNoHorizontalScrollAsync(page, $"{name} ({state})");
    }

    public static async Task ShotAsync(IPage page, string name, string state)
    {
        var size = page.ViewportSize!;
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, $"{name}-{state}-{size.Width}x{size.Height}.png"), FullPage = true });
    }

    public static async Task AssertAccessibleAsync(IPage page, string what)
    {
        // axe-core's own axe.run, every rule it runs by default, on the page in its current state. Not the wrapper's
        // page.RunAxe(): that injects axe-core twice and finishes each run in a fresh blank page (for cross-origin
        // iframes, which these pages do not have), about 5 s a check against 0.3 s for the same rules run here.
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe?.run === 'function'")) await page.EvaluateAsync(AxeSource.Value);
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v =>
                ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.flat().join(' ')) }))
            """);
        var bad = violations.EnumerateArray().Where(v => v.GetProperty("impact").GetString() is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{what}: axe-core found {bad.Count} serious or critical violation(s):\n" + string.Join("\n",
            bad.Select(v => $"- {v.GetProperty("id")} ({v.GetProperty("impact")}): {v.GetProperty("help")}; at {string.Join(", ", v.GetProperty("targets").EnumerateArray())}")));
    }

    /// <summary>The axe-core that Deque.AxeCore.Playwright bundles, so its version is the package's.</summary>
    private static readonly Lazy<string> AxeSource = new(() => new BundledAxeScriptProvider().GetScript());

    public static async Task AssertNoHorizontalScrollAsync(IPage page, string what)
    {
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{what}: scrolls {overflow}px sideways");
    }
}
