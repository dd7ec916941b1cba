using Microsoft.Playwright;
using Xunit.Sdk;

namespace GivingDay.Browser.Tests;

/// <summary>The checks every page gets would catch what they are for: a serious violation is named with its target,
/// and a page wider than the screen is caught.</summary>
[Collection(BrowserCollections.Visitor)]
public class PageChecksTests(BrowserFixture browser) : BrowserTest(browser)
{
    [Fact]
    public async Task A_serious_violation_fails_with_its_id_and_target_and_sideways_scroll_is_caught()
    {
        var page = await (await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 } })).NewPageAsync();
        await page.SetContentAsync("<!doctype html><html lang=\"zh-CN\"><head><title>t</title></head><body><main><h1>标题</h1>"
            + "<img id=\"no-alt\" src=\"data:,\"><div style=\"width:900px\">宽</div></main></body></html>");
        var axe = await Assert.ThrowsAsync<TrueException>(() => PageChecks.AssertAccessibleAsync(page, "sample"));
        Assert.Contains("image-alt", axe.Message);
        Assert.Contains("#no-alt", axe.Message);
        var scroll = await Assert.ThrowsAsync<TrueException>(() => PageChecks.AssertNoHorizontalScrollAsync(page, "sample"));
        Assert.Contains("sideways", scroll.Message);
    }
}
