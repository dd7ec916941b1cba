using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;
using static GivingDay.Browser.Tests.PageChecks;

namespace GivingDay.Browser.Tests;

/// <summary>The organiser console tells the truth: the key's state, each message beside the action that caused it,
/// campaigns picked from a list, import errors by Excel row, and one final-snapshot row with both formats and the
/// public ledger's final checkpoint.</summary>
[Collection(BrowserCollections.Organiser)]
public class OrganiserConsoleTests(BrowserFixture browser, AppFixture fixture) : BrowserTest(browser), IClassFixture<AppFixture>
{
    private AppInstance App => fixture.App;

    private async Task<string> CampaignAsync(string hint)
    {
        var campaign = TestCampaigns.NewId(hint);
        (await App.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        return campaign;
    }

    /// <summary>The console with the key typed in (and checked) and the campaign picked from the list.</summary>
    internal static async Task<IPage> ConsoleAsync(BrowserFixture browser, AppInstance app, string? campaign, int width = 1280, int height = 900, string key = AppInstance.OrganiserKey, List<string>? errors = null)
    {
        var page = await browser.OpenAsync(app.BaseAddress, "/organiser", width, height, errors);
        await page.FillAsync("#key", key);
        await page.ClickAsync("#check-key");
        if (campaign is not null)
        {
            await Assertions.Expect(page.Locator($"#campaign option[value='{campaign}']")).ToHaveCountAsync(1);
            await page.SelectOptionAsync("#campaign", campaign);
        }
        return page;
    }

    private static FilePayload Csv(string text) => new() { Name = "线下捐赠.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(text) };

    [Fact]
    public async Task The_key_state_is_shown_and_each_message_stays_beside_its_action()
    {
        var campaign = await CampaignAsync("console");
        var errors = new List<string>();
        var page = await ConsoleAsync(Browser, App, campaign, key: "wrong-key", errors: errors);
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("密钥不正确。");
        await page.SetInputFilesAsync("#offline-file", Csv("projectId,amount,name\nzaochan,10000,李阿姨\n"));
        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#upload-status")).ToHaveTextAsync("密钥不正确。");
        await CheckAsync(page, "organiser", "wrong-key");

        // The right key: the state says so and the "wrong key" beside the upload is gone.
        await page.FillAsync("#key", AppInstance.OrganiserKey);
        await page.ClickAsync("#check-key");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("密钥正确 ✓");
        await Assertions.Expect(page.Locator("#upload-status")).ToBeHiddenAsync();

        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("已导入 1 笔");
        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("之前已经导入过");
        // Nothing went anywhere else on the page.
        foreach (var other in new[] { "#form-status", "#def-status", "#snap-status", "#donors-status", "#close-status" })
            await Assertions.Expect(page.Locator(other)).ToBeHiddenAsync();
        await CheckAsync(page, "organiser", "imported");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Import_errors_name_the_row_as_the_server_numbers_it_beside_the_upload()
    {
        var campaign = await CampaignAsync("rows");
        const string file = "projectId,amount,name\nzaochan,10000,李阿姨\nzaochan,abc,王伯伯\n";
        // The row number the server gives (Excel's numbering once the API sends it), shown as "第 N 行".
        var request = App.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", new StringContent(file, Encoding.UTF8, "text/csv"));
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("zh-CN"));
        var problem = JsonDocument.Parse(await (await App.Http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        var (field, messages) = problem.GetProperty("errors").EnumerateObject().Select(p => (p.Name, p.Value)).Single();
        var row = System.Text.RegularExpressions.Regex.Match(field, @"\d+").Value;

        var page = await ConsoleAsync(Browser, App, campaign, 390, 844);
        await page.SetInputFilesAsync("#offline-file", Csv(file));
        await page.ClickAsync("#upload");
        await Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("文件没有导入");
        await Assertions.Expect(page.Locator("#upload-status li")).ToContainTextAsync($"第 {row} 行");
        await Assertions.Expect(page.Locator("#upload-status li")).ToContainTextAsync(messages[0].GetString()!);
        await CheckAsync(page, "organiser", "import-error");
    }

    [Fact]
    public async Task Closing_shows_one_final_snapshot_row_with_both_formats_and_the_final_checkpoint()
    {
        var campaign = await CampaignAsync("final");
        await App.PledgeAsync(campaign, new { projectId = "zaochan", amount = 12345, donor = new { name = "钱多多", contact = "13911112222" } });
        await AppInstance.EventuallyAsync(async () => await (await App.Http.SendAsync(App.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots"))).Content.ReadAsStringAsync(),
            s => s.Contains("\"progress\""), what: "a progress snapshot");

        var errors = new List<string>();
        var page = await ConsoleAsync(Browser, App, campaign, errors: errors);
        await Assertions.Expect(page.Locator("#chart svg")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#final-box")).ToContainTextAsync("活动结项后");
        await CheckAsync(page, "organiser", "live");

        await page.ClickAsync("#close");
        await Assertions.Expect(page.Locator("#close-status")).ToContainTextAsync("已提交结束");
        await Assertions.Expect(page.Locator("#close-status")).ToContainTextAsync("已结项", new() { Timeout = 120_000 });

        // One row, both formats; the checkpoint as final.json records it.
        await Assertions.Expect(page.Locator(".final-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#snapshots")).Not.ToContainTextAsync("结项");
        var final = await App.Http.SendAsync(App.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final"));
        var checkpoint = JsonDocument.Parse(await final.Content.ReadAsStringAsync()).RootElement.GetProperty("checkpoint");
        await Assertions.Expect(page.Locator("#final-checkpoint [data-field=treeSize]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#final-checkpoint [data-field=rootHash]")).ToHaveTextAsync(checkpoint.GetProperty("rootHash").GetString()!);
        await Assertions.Expect(page.Locator("#final-checkpoint [data-field=keyId]")).ToHaveTextAsync(checkpoint.GetProperty("keyId").GetString()!);
        await Assertions.Expect(page.Locator("#final-checkpoint [data-field=checkpointTime]")).ToContainTextAsync("北京时间");
        await CheckAsync(page, "organiser", "finalized");

        var csv = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-csv"));
        var bytes = await File.ReadAllBytesAsync((await csv.PathAsync())!);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.Contains("12345", text);
        Assert.Contains("钱**", text);
        Assert.DoesNotContain("13911112222", text);
        var json = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-json"));
        Assert.Contains("ledgerSha256", await File.ReadAllTextAsync((await json.PathAsync())!));
        await Assertions.Expect(page.Locator("#snap-status")).ToContainTextAsync("已下载");

        await page.SetViewportSizeAsync(390, 844);
        await CheckAsync(page, "organiser", "finalized");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
