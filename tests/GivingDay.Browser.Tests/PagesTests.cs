using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

/// <summary>The three pages in a real browser against the app on Azurite, in Chinese, with no console errors.</summary>
[Collection("browser")]
public class PagesTests(BrowserFixture fixture, PagesTests.App shared) : IClassFixture<PagesTests.App>, IAsyncLifetime
{
    /// <summary>One app for the class; each test has a campaign of its own.</summary>
    public sealed class App() : SharedApp(new() { ["SnapshotSchedule"] = "*/2 * * * * *" });

    private readonly AppInstance _app = shared.App;
    private string _campaign = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync() =>
        _campaign = await shared.NewCampaignAsync(TestCampaigns.Definition([TestCampaigns.Fund("aixin", 100_000, "1", perPledgeCap: 5000)]), "demo");

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<IPage> OpenAsync(string path, int width = 390, int height = 844)
    {
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, Locale = "zh-CN", AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (_consoleErrors) _consoleErrors.Add($"{path}: {m.Text}"); };
        page.PageError += (_, e) => { lock (_consoleErrors) _consoleErrors.Add($"{path}: {e}"); };
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(_app.BaseAddress, path).ToString());
        return page;
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, name + ".png"), FullPage = true });

    /// <summary>The campaign's counted pledges as stored now (not the leaderboard's half-second cache).</summary>
    private async Task<long> CountedPledgesAsync() => (await _app.Get<GivingDay.Totals.LiveTotals>().ReadAsync(_campaign)).State.Totals.Pledges;

    [Fact]
    public async Task Giving_on_the_campaign_page_moves_the_live_leaderboard()
    {
        var live = await OpenAsync($"/c/{_campaign}/live", 1280, 800);
        await Assertions.Expect(live.Locator("#ranking tr")).ToHaveCountAsync(3);
        await Assertions.Expect(live.Locator("#totals")).ToContainTextAsync("¥0.00");

        var page = await OpenAsync($"/c/{_campaign}");
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
        await ShotAsync(page, "campaign-phone");

        await Assertions.Expect(live.Locator("#totals")).ToContainTextAsync("¥150.00", new() { Timeout = 60_000 });
        await Assertions.Expect(live.Locator("#ranking tr").First).ToContainTextAsync("红十字微心愿");
        await Assertions.Expect(live.Locator("#recent")).ToContainTextAsync("张*");
        await ShotAsync(live, "live-desktop");
        var livePhone = await OpenAsync($"/c/{_campaign}/live");
        await Assertions.Expect(livePhone.Locator("#recent li")).ToHaveCountAsync(1);
        await ShotAsync(livePhone, "live-phone");
        var campaignDesktop = await OpenAsync($"/c/{_campaign}", 1280, 800);
        await Assertions.Expect(campaignDesktop.Locator("#projects .card")).ToHaveCountAsync(3);
        await ShotAsync(campaignDesktop, "campaign-desktop");
        var home = await OpenAsync("/");
        await Assertions.Expect(home.Locator("#campaigns")).ToContainTextAsync("南通");
        await ShotAsync(home, "home-phone");
        Assert.True(_consoleErrors.Count == 0, string.Join("\n", _consoleErrors));
    }

    [Fact]
    public async Task A_double_click_gives_once()
    {
        var page = await OpenAsync($"/c/{_campaign}");
        await Assertions.Expect(page.Locator("#projectId option")).ToHaveCountAsync(3);
        await page.FillAsync("#amount", "20");
        var (sent, answered) = (0, 0);
        bool IsGift(IRequest r) => r.Method == "POST" && r.Url.EndsWith($"/campaigns/{_campaign}/pledges", StringComparison.Ordinal);
        page.Request += (_, r) => { if (IsGift(r)) Interlocked.Increment(ref sent); };
        page.RequestFinished += (_, r) => { if (IsGift(r)) Interlocked.Increment(ref answered); };
        await page.DblClickAsync("#give");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已计入", new() { Timeout = 60_000 });
        // Every gift the page sent has been answered, and every pledge stored has been counted: nothing more can come.
        await AppInstance.EventuallyAsync(() => Task.FromResult((Sent: Volatile.Read(ref sent), Answered: Volatile.Read(ref answered))),
            n => n.Sent > 0 && n.Answered == n.Sent, what: "every gift the page sent answered");
        await _app.SettledAsync(_campaign);
        Assert.Equal(1, await CountedPledgesAsync());
        Assert.True(_consoleErrors.Count == 0, string.Join("\n", _consoleErrors));
    }

    [Fact]
    public async Task A_bad_amount_shows_the_servers_error_by_the_field()
    {
        var page = await OpenAsync($"/c/{_campaign}");
        await Assertions.Expect(page.Locator("#projectId option")).ToHaveCountAsync(3);
        await page.FillAsync("#amount", "0.5");
        await page.ClickAsync("#give");
        // The server's own words (minimum 100 fen), next to the amount field.
        await Assertions.Expect(page.Locator("#err-amount")).ToContainTextAsync("between 100 and 5000000");
        await Assertions.Expect(page.Locator("#amount")).ToHaveAttributeAsync("aria-invalid", "true");
        await page.FillAsync("#amount", "abc");
        await page.ClickAsync("#give");
        await Assertions.Expect(page.Locator("#err-amount")).ToContainTextAsync("whole number of fen");
        Assert.Equal(0, await CountedPledgesAsync());
        await ShotAsync(page, "campaign-error-phone");
    }

    [Fact]
    public async Task The_page_switches_to_English_and_back()
    {
        var page = await OpenAsync($"/c/{_campaign}");
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
        foreach (var path in new[] { $"/c/{_campaign}", "/organiser", $"/c/{_campaign}/live" })
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
