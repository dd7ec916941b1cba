using System.Net;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;
using static GivingDay.Browser.Tests.PageChecks;

namespace GivingDay.Browser.Tests;

/// <summary>Each page in each state of a campaign (upcoming, live, closed, finalized), in a browser set to en-US in New
/// York: times are Beijing time, a campaign that cannot take gifts says why with its form disabled, the board counts
/// down to the start or the end, or says it has ended with the final snapshot's time. Every state is screenshotted and
/// checked with axe-core; the board at 1920×1080 and the campaign page at 390×844 have no horizontal scroll.</summary>
[Collection(BrowserCollections.Lifecycle)]
public class LifecycleTests(BrowserFixture browser, AppFixture fixture) : BrowserTest(browser), IClassFixture<AppFixture>
{
    private AppInstance App => fixture.App;

    private Task<IPage> OpenAsync(string path, int width = 390, int height = 844) => Browser.OpenAsync(App.BaseAddress, path, width, height);

    private async Task<string> CampaignAsync(string hint, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        var campaign = TestCampaigns.NewId(hint);
        (await App.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 100_000, "1")], startsAt, endsAt))).EnsureSuccessStatusCode();
        return campaign;
    }

    [Fact]
    public async Task Times_are_beijing_time_whatever_the_browsers_zone_and_a_closed_campaign_cannot_be_given_to()
    {
        // Starts 09:30 Beijing time yesterday (01:30 UTC, 21:30 the day before in New York).
        var beijing = TimeSpan.FromHours(8);
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.ToOffset(beijing).Date, beijing).AddHours(9.5).AddDays(-1);
        var campaign = await CampaignAsync("life", start, start.AddDays(30));

        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#dates")).ToContainTextAsync($"{start:yyyy/MM/dd} 09:30 北京时间");
        await Assertions.Expect(page.Locator("#give")).ToBeEnabledAsync();
        await CheckAsync(page, "campaign", "live");

        // A gift, then the close: the final snapshot carries it. (A campaign closed with no gift at all is never finalized
        // today: the final snapshot waits for a ledger checkpoint that an empty ledger never gets.)
        Assert.Equal(HttpStatusCode.Accepted, (await App.PledgeAsync(campaign, new { projectId = "zaochan", amount = 8800, donor = new { name = "孙悦" } })).StatusCode);
        await AppInstance.EventuallyAsync(() => App.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"), b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "counted");
        Assert.Equal(HttpStatusCode.Accepted, (await App.Http.SendAsync(App.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close"))).StatusCode);
        await AppInstance.EventuallyAsync(() => App.GetJsonAsync($"/api/campaigns/{campaign}"), c => c.GetProperty("status").GetString() == "finalized",
            TimeSpan.FromSeconds(90), "finalized");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#notice")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("不再接受捐赠");
        await Assertions.Expect(page.Locator("#give")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#amount")).ToBeDisabledAsync();
        await CheckAsync(page, "campaign", "finalized");

        var board = await OpenAsync($"/c/{campaign}/live", 1920, 1080);
        await Assertions.Expect(board.Locator("#board-title")).ToHaveTextAsync("最终结果");
        await Assertions.Expect(board.Locator("#updated")).ToContainTextAsync("北京时间");
        await Assertions.Expect(board.Locator("#countdown-label")).ToHaveTextAsync("已结束");
        await Assertions.Expect(board.Locator("#countdown")).ToContainTextAsync("最终快照");
        await Assertions.Expect(board.Locator("#countdown")).ToContainTextAsync("北京时间");
        await Assertions.Expect(board.Locator("#big-total")).ToHaveTextAsync("¥88.00");
        await CheckAsync(board, "live", "finalized");
    }

    [Fact]
    public async Task An_upcoming_campaign_counts_down_to_its_start_and_takes_no_gifts_yet()
    {
        var campaign = await CampaignAsync("soon", DateTimeOffset.UtcNow.AddDays(2).AddHours(3), DateTimeOffset.UtcNow.AddDays(3));
        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("尚未开始");
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("距开始 2 天 ");
        await Assertions.Expect(page.Locator("#give")).ToBeDisabledAsync();
        await CheckAsync(page, "campaign", "upcoming");

        var board = await OpenAsync($"/c/{campaign}/live", 1920, 1080);
        await Assertions.Expect(board.Locator("#countdown-label")).ToHaveTextAsync("距开始");
        await Assertions.Expect(board.Locator("#countdown")).ToContainTextAsync("2 天 ");
        await CheckAsync(board, "live", "upcoming");
    }

    [Fact]
    public async Task A_campaign_past_its_end_is_closed_on_every_page()
    {
        var campaign = await CampaignAsync("ended", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddMinutes(-5));
        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("不再接受捐赠");
        await Assertions.Expect(page.Locator("#give")).ToBeDisabledAsync();
        await CheckAsync(page, "campaign", "closed");

        var board = await OpenAsync($"/c/{campaign}/live", 1920, 1080);
        await Assertions.Expect(board.Locator("#board-title")).ToHaveTextAsync("最终结果");
        await Assertions.Expect(board.Locator("#countdown-label")).ToHaveTextAsync("已结束");
        await CheckAsync(board, "live", "closed");

        foreach (var (width, height) in new[] { (1280, 900), (390, 844) })
        {
            var home = await OpenAsync("/", width, height);
            await Assertions.Expect(home.Locator(".group-group_ended")).ToContainTextAsync("2026年南通市红十字会5·8人道公益日");
            await CheckAsync(home, "home", "grouped");
        }
    }

    [Fact]
    public async Task The_wall_board_shows_the_big_total_both_rankings_and_the_latest_gifts()
    {
        var campaign = await CampaignAsync("wall");
        var board = await OpenAsync($"/c/{campaign}/live", 1920, 1080);
        await Assertions.Expect(board.Locator("#big-total")).ToHaveTextAsync("¥0.00");
        await Assertions.Expect(board.Locator("#countdown-label")).ToHaveTextAsync("距结束");
        await Assertions.Expect(board.Locator("#countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d{2}:\d{2}:\d{2}$"));

        // Two gifts from one person to one project, one from another person: 人数 counts people, 笔数 counts gifts.
        await App.PledgeAsync(campaign, new { projectId = "weixinyuan", amount = 10_000, donor = new { name = "张小红", contact = "13800138000" }, message = "祝愿心愿成真" });
        await App.PledgeAsync(campaign, new { projectId = "weixinyuan", amount = 5_000, donor = new { name = "张小红", contact = "13800138000" } });
        await App.PledgeAsync(campaign, new { projectId = "zaochan", amount = 20_000, donor = new { name = "李四", contact = "13900139000" } });
        await App.PledgeAsync(campaign, new { projectId = "songwanjia", amount = 1_000, donor = new { name = "王五", contact = "13700137000" } });
        await App.PledgeAsync(campaign, new { projectId = "songwanjia", amount = 1_000, donor = new { name = "赵六", contact = "13600136000" } });

        // ¥370 given, ¥370 matched 1:1: the big figure counts up to ¥740.00 and stops there.
        await Assertions.Expect(board.Locator("#big-total")).ToHaveTextAsync("¥740.00", new() { Timeout = 60_000 });
        await Assertions.Expect(board.Locator("#raised")).ToHaveTextAsync("¥370.00");
        await Assertions.Expect(board.Locator("#matched")).ToHaveTextAsync("¥370.00");
        await Assertions.Expect(board.Locator("#donor-count")).ToHaveTextAsync("4");
        await Assertions.Expect(board.Locator("#pledge-count")).ToHaveTextAsync("5");
        await Assertions.Expect(board.Locator("#goal-text")).ToContainTextAsync("%");
        await Assertions.Expect(board.Locator("#ranking tr").First).ToContainTextAsync("守护早产小天使");
        await Assertions.Expect(board.Locator("#ranking-donors tr").First).ToContainTextAsync("博爱送万家");
        await Assertions.Expect(board.Locator("#ranking-donors tr").First).ToContainTextAsync("2 人");
        await Assertions.Expect(board.Locator("#by-donors-title")).ToContainTextAsync("人数");
        await Assertions.Expect(board.Locator("#recent li")).ToHaveCountAsync(5);
        await Assertions.Expect(board.Locator("#recent")).ToContainTextAsync("张*");
        await Assertions.Expect(board.Locator("#recent")).Not.ToContainTextAsync("张小红");
        await CheckAsync(board, "live", "live");

        var phone = await OpenAsync($"/c/{campaign}/live");
        await Assertions.Expect(phone.Locator("#big-total")).ToHaveTextAsync("¥740.00");
        await CheckAsync(phone, "live", "live");
        var wide = await OpenAsync($"/c/{campaign}", 1280, 900);
        await Assertions.Expect(wide.Locator("#projects .card")).ToHaveCountAsync(3);
        await CheckAsync(wide, "campaign", "live");
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
        (await App.PutCampaignAsync(campaign, definition)).EnsureSuccessStatusCode();

        var page = await OpenAsync($"/c/{campaign}?project=weixinyuan");
        await Assertions.Expect(page.Locator("#projectId")).ToHaveValueAsync("weixinyuan");
        await Assertions.Expect(page.Locator("#project-weixinyuan .story")).ToHaveTextAsync("帮困难群众实现一个小小的心愿。");
        await Assertions.Expect(page.Locator("#project-weixinyuan")).ToContainTextAsync("0%");
        await CheckAsync(page, "campaign", "project-link");
    }
}
