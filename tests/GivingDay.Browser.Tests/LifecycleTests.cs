using System.Net;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

/// <summary>The pages in a browser set to en-US in New York: times are shown in Beijing time, and a campaign that has ended
/// says so, with its form disabled and its board titled as the final result.</summary>
[Collection("browser")]
public class LifecycleTests(BrowserFixture fixture, ListeningApp shared) : IClassFixture<ListeningApp>
{
    private readonly AppInstance _app = shared.App;

    private async Task<IPage> OpenAsync(string path, int width = 390, int height = 844)
    {
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, Locale = "en-US", TimezoneId = "America/New_York" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(_app.BaseAddress, path).ToString());
        return page;
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, name + ".png"), FullPage = true });

    [Fact]
    public async Task Times_are_beijing_time_whatever_the_browsers_zone_and_a_closed_campaign_cannot_be_given_to()
    {
        // Starts 09:30 Beijing time today (01:30 UTC, 20:30 the day before in New York).
        var beijing = TimeSpan.FromHours(8);
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.ToOffset(beijing).Date, beijing).AddHours(9.5).AddDays(-1);
        var campaign = TestCampaigns.NewId("life");
        (await _app.PutCampaignAsync(campaign, TestCampaigns.Definition(startsAt: start, endsAt: start.AddDays(30)))).EnsureSuccessStatusCode();

        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#dates")).ToContainTextAsync($"{start:yyyy/MM/dd} 09:30 北京时间");
        await Assertions.Expect(page.Locator("#give")).ToBeEnabledAsync();
        await ShotAsync(page, "campaign-live-390");

        Assert.Equal(HttpStatusCode.Accepted, (await _app.Http.SendAsync(_app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close"))).StatusCode);
        await AppInstance.EventuallyAsync(() => _app.GetJsonAsync($"/api/campaigns/{campaign}"), c => c.GetProperty("status").GetString() != "live", what: "closed");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#notice")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("不再接受捐赠");
        await Assertions.Expect(page.Locator("#give")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#amount")).ToBeDisabledAsync();
        await ShotAsync(page, "campaign-closed-390");

        var board = await OpenAsync($"/c/{campaign}/live", 1280, 900);
        await Assertions.Expect(board.Locator("#board-title")).ToHaveTextAsync("最终结果");
        await Assertions.Expect(board.Locator("#updated")).ToContainTextAsync("北京时间");
        await ShotAsync(board, "live-final-1280");

        var home = await OpenAsync("/", 1280, 900);
        await Assertions.Expect(home.Locator(".group-group_ended")).ToContainTextAsync("2026年南通市红十字会5·8人道公益日");
        await ShotAsync(home, "home-1280");
    }

    [Fact]
    public async Task A_project_link_opens_the_page_with_that_project_chosen_and_its_story_shown()
    {
        var campaign = TestCampaigns.NewId("share");
        var definition = new Dictionary<string, object?>
        {
            ["name"] = "2026年南通市红十字会5·8人道公益日", ["event"] = "5.8",
            ["startsAt"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:sszzz"),
            ["endsAt"] = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:sszzz"),
            ["projects"] = new object[]
            {
                new { id = "zaochan", name = "守护早产小天使", goal = 100000 },
                new { id = "weixinyuan", name = "红十字微心愿", goal = 50000, story = "帮困难群众实现一个小小的心愿。" },
            },
        };
        (await _app.PutCampaignAsync(campaign, definition)).EnsureSuccessStatusCode();

        var page = await OpenAsync($"/c/{campaign}?project=weixinyuan");
        await Assertions.Expect(page.Locator("#projectId")).ToHaveValueAsync("weixinyuan");
        await Assertions.Expect(page.Locator("#project-weixinyuan .story")).ToHaveTextAsync("帮困难群众实现一个小小的心愿。");
        await Assertions.Expect(page.Locator("#project-weixinyuan")).ToContainTextAsync("0%");
        Assert.Equal(0, await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth"));
        await ShotAsync(page, "campaign-project-link-390");
    }
}
