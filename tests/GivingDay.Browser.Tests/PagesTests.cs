using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;
using static GivingDay.Browser.Tests.PageChecks;

namespace GivingDay.Browser.Tests;

/// <summary>The pages in a real browser against the app on Azurite, in Chinese, with no console errors.</summary>
[Collection(BrowserCollections.Visitor)]
public class PagesTests(BrowserFixture browser, AppFixture fixture) : BrowserTest(browser), IClassFixture<AppFixture>
{
    private AppInstance App => fixture.App;
    private readonly List<string> _consoleErrors = [];

    private async Task<string> CampaignAsync()
    {
        var campaign = TestCampaigns.NewId("demo");
        (await App.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 100_000, "1", perPledgeCap: 5000)]))).EnsureSuccessStatusCode();
        return campaign;
    }

    private Task<IPage> OpenAsync(string path, int width = 390, int height = 844) => Browser.OpenAsync(App.BaseAddress, path, width, height, _consoleErrors);

    private async Task<long> CountedPledgesAsync(string campaign) =>
        (await App.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64();

    [Fact]
    public async Task Giving_on_the_campaign_page_moves_the_live_leaderboard()
    {
        var campaign = await CampaignAsync();
        var live = await OpenAsync($"/c/{campaign}/live", 1280, 800);
        await Assertions.Expect(live.Locator("#ranking tr")).ToHaveCountAsync(3);
        await Assertions.Expect(live.Locator("#totals")).ToContainTextAsync("¥0.00");

        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#title")).ToHaveTextAsync("2026年南通市红十字会5·8人道公益日");
        await Assertions.Expect(page.Locator("#funds")).ToContainTextAsync("配捐进行中");
        await page.SelectOptionAsync("#projectId", "weixinyuan");
        await page.ClickAsync("button[data-yuan='100']");
        await page.FillAsync("#name", "张小红");
        await page.FillAsync("#contact", "13800138000");
        await page.FillAsync("#message", "祝愿心愿成真");
        await page.ClickAsync("#give");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已收到");
        // Once counted the page says so, with the match (¥100 at 1:1, capped at ¥50).
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("配捐 ¥50.00", new() { Timeout = 60_000 });
        await CheckAsync(page, "campaign", "given");

        await Assertions.Expect(live.Locator("#big-total")).ToHaveTextAsync("¥150.00", new() { Timeout = 60_000 });
        await Assertions.Expect(live.Locator("#ranking tr").First).ToContainTextAsync("红十字微心愿");
        await Assertions.Expect(live.Locator("#recent")).ToContainTextAsync("张*");
        await CheckAsync(live, "live", "given");
        var home = await OpenAsync("/");
        await Assertions.Expect(home.Locator("#campaigns")).ToContainTextAsync("南通");
        await CheckAsync(home, "home", "live");
        Assert.True(_consoleErrors.Count == 0, string.Join("\n", _consoleErrors));
    }

    [Fact]
    public async Task A_double_click_gives_once()
    {
        var campaign = await CampaignAsync();
        var page = await OpenAsync($"/c/{campaign}");
        // Every answer to a pledge POST: a double click may send twice, but must be answered with one pledge id.
        var pledgeIds = new List<string>();
        EventHandler<IResponse> answered = async (_, r) =>
        {
            if (r.Request.Method == "POST" && r.Url.EndsWith("/pledges") && r.Status == 202)
            {
                var id = (await r.JsonAsync())?.GetProperty("pledgeId").GetString()!;
                lock (pledgeIds) pledgeIds.Add(id);
            }
        };
        page.Response += answered;
        await Assertions.Expect(page.Locator("#projectId option")).ToHaveCountAsync(3);
        await page.FillAsync("#amount", "20");
        await page.DblClickAsync("#give");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已计入", new() { Timeout = 60_000 });
        page.Response -= answered; // the page is kept for later tests
        lock (pledgeIds) Assert.Single(pledgeIds.Distinct());
        Assert.Equal(1, await CountedPledgesAsync(campaign));
        Assert.True(_consoleErrors.Count == 0, string.Join("\n", _consoleErrors));
    }

    [Fact]
    public async Task A_bad_amount_shows_the_servers_error_by_the_field_in_the_pages_language()
    {
        var campaign = await CampaignAsync();
        var page = await OpenAsync($"/c/{campaign}");
        await Assertions.Expect(page.Locator("#projectId option")).ToHaveCountAsync(3);
        await page.FillAsync("#amount", "0.5");
        await page.ClickAsync("#give");
        // The server's own words for this amount, as it says them to a Chinese page, next to the amount field.
        await Assertions.Expect(page.Locator("#err-amount")).ToHaveTextAsync(await ServerMessageAsync(campaign, 50, "zh-CN"));
        await Assertions.Expect(page.Locator("#amount")).ToHaveAttributeAsync("aria-invalid", "true");
        await CheckAsync(page, "campaign", "error");

        await page.ClickAsync("#lang");
        await page.FillAsync("#amount", "0.2");
        await page.ClickAsync("#give");
        await Assertions.Expect(page.Locator("#err-amount")).ToHaveTextAsync(await ServerMessageAsync(campaign, 20, "en"));
        Assert.Equal(0, await CountedPledgesAsync(campaign));
    }

    private async Task<string> ServerMessageAsync(string campaign, long amount, string language)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaign}/pledges")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { projectId = "zaochan", amount, donor = new { anonymous = false } }), Encoding.UTF8, "application/json"),
        };
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        var problem = await (await App.Http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("errors").GetProperty("amount")[0].GetString()!;
    }

    [Fact]
    public async Task The_page_switches_to_English_and_back()
    {
        var page = await OpenAsync($"/c/{await CampaignAsync()}");
        await Assertions.Expect(page.Locator("label[for=amount]")).ToHaveTextAsync("金额（元）");
        await page.ClickAsync("#lang");
        await Assertions.Expect(page.Locator("label[for=amount]")).ToHaveTextAsync("Amount (yuan)");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        await page.ClickAsync("#lang");
        await Assertions.Expect(page.Locator("label[for=amount]")).ToHaveTextAsync("金额（元）");
    }

    [Fact]
    public async Task Every_input_has_a_visible_label_and_every_button_a_name()
    {
        var campaign = await CampaignAsync();
        foreach (var path in new[] { $"/c/{campaign}", "/organiser", $"/c/{campaign}/live" })
        {
            var page = await OpenAsync(path);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var unlabelled = await page.EvaluateAsync<string[]>(@"() => [...document.querySelectorAll('input:not([type=hidden]):not(.visually-hidden), select, textarea')]
                .filter(el => !el.id || !document.querySelector(`label[for='${el.id}']`)).map(el => el.id || el.outerHTML)");
            Assert.Empty(unlabelled);
            var unnamed = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('button')].filter(b => !b.textContent.trim() && !b.getAttribute('aria-label')).map(b => b.outerHTML)");
            Assert.Empty(unnamed);
        }
    }
}
