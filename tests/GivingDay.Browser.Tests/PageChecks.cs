using Deque.AxeCore.Playwright;
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
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{what}: axe-core found {bad.Count} serious or critical violation(s):\n" + string.Join("\n",
            bad.Select(v => $"- {v.Id} ({v.Impact}): {v.Help}; at {string.Join(", ", v.Nodes.Select(n => n.Target.ToString()))}")));
    }

    public static async Task AssertNoHorizontalScrollAsync(IPage page, string what)
    {
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{what}: scrolls {overflow}px sideways");
    }
}
