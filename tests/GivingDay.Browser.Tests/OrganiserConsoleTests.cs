using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GivingDay.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;

namespace GivingDay.Browser.Tests;

[Collection("browser")]
public class OrganiserConsoleTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_console_creates_a_campaign_closes_it_and_downloads_the_final_csv()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["SnapshotSchedule"] = "*/1 * * * * *" });
        var errors = new List<string>();
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 }, Locale = "zh-CN", AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        page.Dialog += (_, d) => d.AcceptAsync();
        await page.GotoAsync(new Uri(app.BaseAddress, "/organiser").ToString());

        var campaign = TestCampaigns.NewId("console");
        await page.FillAsync("#key", AppInstance.OrganiserKey);
        await page.DispatchEventAsync("#key", "change");
        await page.FillAsync("#campaign", campaign);
        await page.DispatchEventAsync("#campaign", "change");
        await page.FillAsync("#definition", JsonSerializer.Serialize(TestCampaigns.Definition(), GivingDayJson.Options));
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已保存");
        Assert.Equal("live", (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("status").GetString());

        await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 12345, donor = new { name = "钱多多", contact = "13911112222" } });
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "pledge counted");
        // A progress snapshot that holds the pledge, for the chart to end on.
        await AppInstance.EventuallyAsync(async () =>
        {
            var list = await (await app.Http.SendAsync(app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots"))).Content.ReadFromJsonAsync<JsonElement>();
            if (list.GetArrayLength() == 0) return 0L;
            var latest = await (await app.Http.SendAsync(app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/{list[0].GetProperty("name").GetString()}"))).Content.ReadFromJsonAsync<JsonElement>();
            return latest.GetProperty("totals").GetProperty("total").GetInt64();
        }, total => total == 12345, what: "a progress snapshot with the pledge");
        await page.ClickAsync("#refresh");
        await Assertions.Expect(page.Locator("#chart svg")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#chart svg")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("123\\.45"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "organiser-phone.png"), FullPage = true });

        await page.ClickAsync("#close");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已提交结束");
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}"),
            c => c.GetProperty("status").GetString() == "finalized", TimeSpan.FromSeconds(90), "finalized");

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-csv"));
        var path = await download.PathAsync();
        var bytes = await File.ReadAllBytesAsync(path!);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.Contains(",12345,", text);
        Assert.Contains("钱**", text);
        Assert.DoesNotContain("13911112222", text);
        var json = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-json"));
        Assert.Contains("ledgerSha256", await File.ReadAllTextAsync((await json.PathAsync())!));

        await page.SetViewportSizeAsync(1280, 800);
        await page.ClickAsync("#refresh");
        await Assertions.Expect(page.Locator("#snapshots tr").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Screenshots, "organiser-desktop.png"), FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task The_form_creates_a_campaign_in_Beijing_time_and_yuan_and_shows_the_servers_errors()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 }, Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(app.BaseAddress, "/organiser").ToString());
        var campaign = TestCampaigns.NewId("form");
        await page.FillAsync("#key", AppInstance.OrganiserKey);
        await page.DispatchEventAsync("#key", "change");
        await page.FillAsync("#campaign", campaign);
        await page.FillAsync("#f-name", "连云港市红十字会 99 公益日");
        await page.SelectOptionAsync("#f-event", "99");
        await page.FillAsync("#f-starts", "2026-09-07T00:00");
        await page.FillAsync("#f-ends", "2026-09-09T23:59");
        await page.FillAsync("#f-projects", "weixinyuan, 红十字微心愿, 50000\nxiyifang，爱心洗衣坊助老，30000.5");
        await page.FillAsync("#f-funds", "aixin, 爱心企业, 1, 20000, 100");
        await page.ClickAsync("#campaign-form button[type=submit]");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已保存");

        var c = await app.GetJsonAsync($"/api/campaigns/{campaign}");
        Assert.Equal("99", c.GetProperty("event").GetString());
        Assert.Equal(new DateTimeOffset(2026, 9, 6, 16, 0, 0, TimeSpan.Zero), c.GetProperty("startsAt").GetDateTimeOffset());
        Assert.Equal(3_000_050, c.GetProperty("projects")[1].GetProperty("goal").GetInt64());
        var fund = c.GetProperty("matchingFunds")[0];
        Assert.Equal(2_000_000, fund.GetProperty("pool").GetInt64());
        Assert.Equal(10_000, fund.GetProperty("perPledgeCap").GetInt64());

        // A mistake the server catches is shown as the server says it, naming the field.
        await page.FillAsync("#f-ends", "2026-09-01T00:00");
        await page.ClickAsync("#campaign-form button[type=submit]");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("endsAt");
    }

    [Fact]
    public async Task A_file_uploaded_again_is_said_to_be_already_imported()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId("offline");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 }, Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(app.BaseAddress, "/organiser").ToString());
        await page.FillAsync("#key", AppInstance.OrganiserKey);
        await page.DispatchEventAsync("#key", "change");
        await page.FillAsync("#campaign", campaign);
        var file = new FilePayload { Name = "线下捐赠.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes("projectId,amount,name\nzaochan,10000,李阿姨\n") };

        await page.SetInputFilesAsync("#offline-file", file);
        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("已导入 1 笔");
        await page.SetInputFilesAsync("#offline-file", file);
        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("之前已经导入过");
    }
}
