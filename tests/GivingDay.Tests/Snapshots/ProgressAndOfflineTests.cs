using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Snapshots;

public class ProgressAndOfflineTests
{
    private static Task<HttpResponseMessage> OrganiserAsync(AppInstance app, HttpMethod method, string path, HttpContent? content = null) =>
        app.Http.SendAsync(app.Organiser(method, path, content));

    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    [Fact]
    public async Task Two_instances_on_one_storage_write_one_progress_snapshot_per_tick()
    {
        var settings = new Dictionary<string, string?> { ["SnapshotSchedule"] = "*/1 * * * * *" };
        await using var a = await AppInstance.StartAsync(Azurite.UniquePrefix(), settings);
        await using var b = await AppInstance.StartAsync(a.Prefix, settings);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        await a.PledgeAsync(campaign, new { projectId = "zaochan", amount = 8800 });

        var list = await AppInstance.EventuallyAsync(async () => await (await OrganiserAsync(a, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots")).Content.ReadFromJsonAsync<JsonElement>(),
            l => l.GetArrayLength() >= 3, TimeSpan.FromSeconds(60), "three progress snapshots");
        var names = list.EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(list.EnumerateArray(), s => Assert.Equal("progress", s.GetProperty("kind").GetString()));
        // Newest first.
        var times = list.EnumerateArray().Select(s => s.GetProperty("takenAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);

        // The latest carries the campaign's figures once the pledge is counted.
        var latest = await AppInstance.EventuallyAsync(async () =>
        {
            var l = await (await OrganiserAsync(a, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots")).Content.ReadFromJsonAsync<JsonElement>();
            return await (await OrganiserAsync(b, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/{l[0].GetProperty("name").GetString()}")).Content.ReadFromJsonAsync<JsonElement>();
        }, s => s.GetProperty("totals").GetProperty("raised").GetInt64() == 8800, TimeSpan.FromSeconds(60), "snapshot with the pledge");
        Assert.Equal(campaign, latest.GetProperty("campaignId").GetString());
        Assert.Equal(8800, latest.GetProperty("projects").EnumerateArray().Single(p => p.GetProperty("projectId").GetString() == "zaochan").GetProperty("raised").GetInt64());
    }

    [Fact]
    public async Task A_file_with_a_bad_row_is_refused_whole_naming_the_row()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var response = await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges",
            Csv("projectId,amount,name,message,receivedAt\nzaochan,10000,李阿姨,募捐箱,2026-05-08T10:00:00+08:00\nweixinyuan,12.5,王先生,,\nnope,500,,,\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        // Rows as Excel numbers them: the header is row 1, the first gift row 2.
        Assert.Equal(["row 3: amount", "row 4: projectId"], errors.EnumerateObject().Select(e => e.Name).Order());
        Assert.Equal("amount.not_integer", problem.GetProperty("codes").GetProperty("row 3: amount")[0].GetString());
        Assert.Equal("projectId.unknown", problem.GetProperty("codes").GetProperty("row 4: projectId")[0].GetString());
        Assert.Equal("offlineFile.invalid", problem.GetProperty("code").GetString());
        var rows = 0;
        await foreach (var r in app.Get<StorageAccount>().Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaign}")))
            if (r.RowKey != "state") rows++;
        Assert.Equal(0, rows);

        var noHeader = await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", Csv("zaochan,10000\n"));
        Assert.Equal(HttpStatusCode.BadRequest, noHeader.StatusCode);
    }

    [Fact]
    public async Task The_same_file_twice_is_counted_once_and_offline_gifts_are_never_matched()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1")]))).EnsureSuccessStatusCode();
        const string file = "projectId,amount,name,message,receivedAt\r\nzaochan,10000,李阿姨,\"募捐箱, 第一天\",2026-05-08T10:00:00+08:00\r\nsongwanjia,25050,,=SUM(A1),\r\n";

        var first = await (await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", Csv(file))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, first.GetProperty("imported").GetInt32());
        Assert.Equal(35050, first.GetProperty("raised").GetInt64());
        var again = await (await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", Csv(file))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, again.GetProperty("imported").GetInt32());
        Assert.True(again.GetProperty("alreadyImported").GetBoolean());
        Assert.False(first.GetProperty("alreadyImported").GetBoolean());

        // The same gifts as a JSON array are another file: imported too.
        var json = JsonContent.Create(new[] { new { projectId = "weixinyuan", amount = 5000, name = "赵大爷", message = (string?)null, receivedAt = (string?)null } });
        var third = await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", json);
        Assert.Equal(1, (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imported").GetInt32());

        var board = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            x => x.GetProperty("totals").GetProperty("pledges").GetInt64() == 3, what: "offline gifts counted");
        Assert.Equal(40050, board.GetProperty("totals").GetProperty("raised").GetInt64());
        Assert.Equal(0, board.GetProperty("totals").GetProperty("matched").GetInt64());
        Assert.Equal(3, board.GetProperty("totals").GetProperty("donors").GetInt64());

        // In the final ledger they are offline, and a formula-looking message is defused.
        Assert.Equal(HttpStatusCode.Accepted, (await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close")).StatusCode);
        var csv = await AppInstance.EventuallyAsync(() => OrganiserAsync(app, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final?format=csv"),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "final ledger");
        var text = await csv.Content.ReadAsStringAsync();
        Assert.Equal(3, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(",线下,")));
        Assert.Contains("'=SUM(A1)", text);
        Assert.Contains("\"募捐箱, 第一天\"", text);
        // After close: 409.
        var late = await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/offline-pledges", Csv("projectId,amount\nzaochan,100\n"));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }
}
