using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Playwright;
using static GivingDay.Browser.Tests.PageChecks;

namespace GivingDay.Browser.Tests;

/// <summary>The console's dry run of a definition change (PUT …?dryRun=true shows what changes; only the confirm button
/// saves) and the donor list for thank-you letters, downloaded under a staff member's name and logged. These need the
/// API's dryRun, donors and donors/downloads routes (built beside the pages in issue 13).</summary>
[Collection(BrowserCollections.Organiser)]
public class ConsoleDryRunAndDonorsTests(BrowserFixture browser, AppFixture fixture) : BrowserTest(browser), IClassFixture<AppFixture>
{
    private AppInstance App => fixture.App;

    [Fact]
    public async Task The_form_previews_a_new_campaign_in_Beijing_time_and_yuan_and_saves_it_only_on_confirm()
    {
        var campaign = TestCampaigns.NewId("form");
        var page = await OrganiserConsoleTests.ConsoleAsync(Browser, App, null, 390, 844);
        await page.SelectOptionAsync("#campaign", "");
        await page.FillAsync("#new-id", campaign);
        await page.DispatchEventAsync("#new-id", "change");
        await page.FillAsync("#f-name", "连云港市红十字会 99 公益日");
        await page.SelectOptionAsync("#f-event", "99");
        await page.FillAsync("#f-starts", "2026-09-07T00:00");
        await page.FillAsync("#f-ends", "2026-09-09T23:59");
        await page.FillAsync("#f-projects", "weixinyuan, 红十字微心愿, 50000\nxiyifang，爱心洗衣坊助老，30000.5");
        await page.FillAsync("#f-funds", "aixin, 爱心企业, 1, 20000, 100");
        await page.ClickAsync("#campaign-form button[type=submit]");
        await Assertions.Expect(page.Locator("#form-preview")).ToContainTextAsync("将新建活动");
        await CheckAsync(page, "organiser", "dry-run-new");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await App.Http.GetAsync($"/api/campaigns/{campaign}")).StatusCode);

        await page.ClickAsync("#form-confirm");
        await Assertions.Expect(page.Locator("#form-status")).ToContainTextAsync("已保存");
        var c = await App.GetJsonAsync($"/api/campaigns/{campaign}");
        Assert.Equal("99", c.GetProperty("event").GetString());
        Assert.Equal(new DateTimeOffset(2026, 9, 6, 16, 0, 0, TimeSpan.Zero), c.GetProperty("startsAt").GetDateTimeOffset());
        Assert.Equal(3_000_050, c.GetProperty("projects")[1].GetProperty("goal").GetInt64());
        var fund = c.GetProperty("matchingFunds")[0];
        Assert.Equal(2_000_000, fund.GetProperty("pool").GetInt64());
        Assert.Equal(10_000, fund.GetProperty("perPledgeCap").GetInt64());
        // The picker now lists it, chosen.
        await Assertions.Expect(page.Locator("#campaign")).ToHaveValueAsync(campaign);

        // A mistake the server catches is shown beside the form as the server words it in the page's language.
        await page.FillAsync("#f-ends", "2026-09-01T00:00");
        await page.ClickAsync("#campaign-form button[type=submit]");
        var expected = await ServerMessageAsync(campaign, JsonNode.Parse(await page.InputValueAsync("#definition"))!, "endsAt", "zh-CN");
        await Assertions.Expect(page.Locator("#form-status")).ToContainTextAsync(expected);
        await Assertions.Expect(page.Locator("#form-preview")).ToBeHiddenAsync();
        await CheckAsync(page, "organiser", "form-error");

        await page.ClickAsync("#lang");
        await page.ClickAsync("#campaign-form button[type=submit]");
        var english = await ServerMessageAsync(campaign, JsonNode.Parse(await page.InputValueAsync("#definition"))!, "endsAt", "en");
        await Assertions.Expect(page.Locator("#form-status")).ToContainTextAsync(english);
    }

    [Fact]
    public async Task A_changed_definition_shows_each_change_and_nothing_is_saved_until_confirmed()
    {
        var campaign = TestCampaigns.NewId("dry");
        (await App.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var page = await OrganiserConsoleTests.ConsoleAsync(Browser, App, campaign);
        // The editor starts with a sample definition that names the same projects: empty it, so that what is waited for
        // below is the loaded definition and not the sample.
        await page.FillAsync("#definition", "");
        await page.ClickAsync("#load-current");
        await Assertions.Expect(page.Locator("#definition")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("weixinyuan"));
        var definition = JsonNode.Parse(await page.InputValueAsync("#definition"))!;
        definition["projects"]![1]!["goal"] = 6_000_000;
        await page.FillAsync("#definition", definition.ToJsonString());

        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#def-preview")).ToContainTextAsync("projects[1].goal");
        await Assertions.Expect(page.Locator("#def-preview tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#def-preview tbody tr")).ToContainTextAsync("5000000");
        await Assertions.Expect(page.Locator("#def-preview tbody tr")).ToContainTextAsync("6000000");
        await CheckAsync(page, "organiser", "dry-run-change");
        Assert.Equal(5_000_000, (await App.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects")[1].GetProperty("goal").GetInt64());

        await page.ClickAsync("#def-confirm");
        await Assertions.Expect(page.Locator("#def-status")).ToContainTextAsync("已保存");
        Assert.Equal(6_000_000, (await App.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects")[1].GetProperty("goal").GetInt64());

        // The same again: nothing to save, and no confirm button.
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#def-preview")).ToContainTextAsync("没有需要保存的变更");
        await Assertions.Expect(page.Locator("#def-confirm")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_donor_list_is_downloaded_under_the_staff_members_name_and_every_download_is_logged()
    {
        var campaign = TestCampaigns.NewId("donors");
        (await App.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        await App.PledgeAsync(campaign, new { projectId = "zaochan", amount = 12345, donor = new { name = "钱多多", contact = "13911112222" } });
        await AppInstance.EventuallyAsync(() => App.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "pledge counted");

        var errors = new List<string>();
        var page = await OrganiserConsoleTests.ConsoleAsync(Browser, App, campaign, errors: errors);
        await Assertions.Expect(page.Locator("#donor-log")).ToContainTextAsync("还没有下载记录");
        await page.ClickAsync("#donors-csv");
        await Assertions.Expect(page.Locator("#donors-status")).ToContainTextAsync("请先填写您的姓名");

        await page.FillAsync("#staff-name", "王老师");
        var csv = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#donors-csv"));
        var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync((await csv.PathAsync())!));
        Assert.Contains("钱多多", text);
        Assert.DoesNotContain("13911112222", text);
        await Assertions.Expect(page.Locator("#donors-status")).ToContainTextAsync("已下载（CSV）");
        await Assertions.Expect(page.Locator("#donor-log tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#donor-log tr").First).ToContainTextAsync("王老师");
        await Assertions.Expect(page.Locator("#donor-log tr").First).ToContainTextAsync("北京时间");

        var json = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#donors-json"));
        Assert.Contains("钱多多", await File.ReadAllTextAsync((await json.PathAsync())!));
        await Assertions.Expect(page.Locator("#donor-log tr")).ToHaveCountAsync(2);
        await CheckAsync(page, "organiser", "donor-list");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>The server's own message for <paramref name="field"/> in a dry run of this definition, in that language.</summary>
    private async Task<string> ServerMessageAsync(string campaign, JsonNode definition, string field, string language)
    {
        var request = App.Organiser(HttpMethod.Put, $"/api/organiser/campaigns/{campaign}?dryRun=true",
            new StringContent(definition.ToJsonString(), Encoding.UTF8, "application/json"));
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        var problem = await (await App.Http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>(GivingDayJson.Options);
        return problem.GetProperty("errors").GetProperty(field)[0].GetString()!;
    }
}
