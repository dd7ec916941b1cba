using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

/// <summary>The donor's check on the campaign page: the browser verifies a counted gift against the signed public
/// ledger itself, and explains the wait for a gift not yet sequenced.</summary>
[Collection(BrowserCollections.Visitor)]
public class LedgerCheckTests(BrowserFixture fixture) : BrowserTest(fixture)
{
    private async Task<IPage> OpenAsync(AppInstance app, string path)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 }, Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(app.BaseAddress, path).ToString());
        return page;
    }

    [Fact]
    public async Task A_counted_gift_is_verified_in_the_browser_and_a_gift_not_yet_sequenced_is_explained()
    {
        var prefix = Azurite.UniquePrefix();
        await using var app = await AppInstance.StartAsync(prefix, new() { ["SnapshotSchedule"] = "*/1 * * * * *" });
        var campaign = TestCampaigns.NewId("check");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        // Given on the page: the id is remembered, and once sequenced the browser proves it.
        var page = await OpenAsync(app, $"/c/{campaign}");
        await Assertions.Expect(page.Locator("#projectId option")).ToHaveCountAsync(3);
        await page.FillAsync("#name", "周九");
        await page.ClickAsync("#give");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已收到");
        var pledgeId = await page.InputValueAsync("#verify-id");
        Assert.False(string.IsNullOrEmpty(pledgeId));
        var status = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{pledgeId}"),
            s => s.TryGetProperty("ledger", out var l) && l.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(90), "the gift sequenced");
        // Sequenced first, then published in a signed checkpoint: wait for a checkpoint that covers it.
        var leafIndex = status.GetProperty("ledger").GetProperty("leafIndex").GetInt64();
        await AppInstance.EventuallyAsync(() => app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/checkpoint"),
            r => r.IsSuccessStatusCode && JsonDocument.Parse(r.Content.ReadAsStringAsync().Result).RootElement.GetProperty("treeSize").GetInt64() > leafIndex,
            TimeSpan.FromSeconds(90), "a checkpoint covering the gift");
        await page.ClickAsync("#verify-button");
        await Assertions.Expect(page.Locator("#verify-result")).ToContainTextAsync("已查证");
        await Assertions.Expect(page.Locator("#verify-result")).ToContainTextAsync("守护早产小天使");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "campaign-verified-390.png"), FullPage = true });

        // A gift accepted where nothing counts it yet (a host with no triggers, on another campaign): the page explains the wait.
        await using var quiet = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var other = TestCampaigns.NewId("wait");
        (await quiet.PutCampaignAsync(other, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var accepted = await (await quiet.PledgeAsync(other, new { projectId = "zaochan", amount = 2000 })).Content.ReadFromJsonAsync<JsonElement>();
        var waiting = await OpenAsync(quiet, $"/c/{other}");
        await waiting.FillAsync("#verify-id", accepted.GetProperty("pledgeId").GetString()!);
        await waiting.ClickAsync("#verify-button");
        await Assertions.Expect(waiting.Locator("#verify-result")).ToContainTextAsync("还没有写入公开账本");
        await waiting.FillAsync("#verify-id", "no-such-pledge");
        await waiting.ClickAsync("#verify-button");
        await Assertions.Expect(waiting.Locator("#verify-result")).ToContainTextAsync("找不到");
    }
}
