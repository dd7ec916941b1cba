using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Campaigns;

/// <summary>PUT ?dryRun=true: the same rules and the same 400s as the real PUT, the changes it would make, nothing written.</summary>
public class DryRunTests(ListeningApp fixture) : IClassFixture<ListeningApp>
{
    private readonly AppInstance _app = fixture.App;

    private static Dictionary<string, object?> Definition(params object[] projects) => new()
    {
        ["name"] = "2026年南通市红十字会5·8人道公益日",
        ["event"] = "5.8",
        ["startsAt"] = "2026-01-01T00:00:00+08:00",
        ["endsAt"] = "2099-01-01T00:00:00+08:00",
        ["projects"] = projects,
    };

    private Task<HttpResponseMessage> DryRunAsync(string campaign, object definition, string query = "?dryRun=true") =>
        _app.Http.SendAsync(_app.Organiser(HttpMethod.Put, $"/api/organiser/campaigns/{campaign}{query}", JsonContent.Create(definition, options: GivingDayJson.Options)));

    /// <summary>Every row the campaign has in storage, with its ETag: what "nothing written" is checked against. Not the
    /// counted steps' markers (<c>s|</c>): the public ledger's tick takes them away whenever it runs, and no PUT writes one.</summary>
    private async Task<List<string>> StoredAsync(string campaign)
    {
        var account = _app.Get<StorageAccount>();
        var rows = new List<string>();
        await foreach (var r in account.Table(StorageNames.CampaignsTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {campaign}")))
            rows.Add($"campaigns/{r.RowKey}/{r.ETag}");
        await foreach (var r in account.Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaign}")))
            if (!r.RowKey.StartsWith(LedgerMarkers.Prefix, StringComparison.Ordinal)) rows.Add($"ledger/{r.RowKey}/{r.ETag}");
        return rows;
    }

    [Fact]
    public async Task A_dry_run_of_a_new_campaign_says_created_and_writes_nothing()
    {
        var campaign = TestCampaigns.NewId("dry-new");
        var response = await DryRunAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000 }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("dryRun").GetBoolean());
        Assert.True(body.GetProperty("created").GetBoolean());
        var paths = body.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("path").GetString()).ToList();
        Assert.Contains("name", paths);
        Assert.Contains("projects", paths);
        Assert.All(body.GetProperty("changes").EnumerateArray(), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("from").ValueKind));
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.GetAsync($"/api/campaigns/{campaign}")).StatusCode);
        Assert.Empty(await StoredAsync(campaign));
    }

    [Fact]
    public async Task A_dry_run_lists_each_change_by_path_and_writes_nothing()
    {
        var campaign = TestCampaigns.NewId("dry-edit");
        (await _app.PutCampaignAsync(campaign, Definition(
            new { id = "zaochan", name = "守护早产小天使", goal = 100000 },
            new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }))).EnsureSuccessStatusCode();
        var before = await StoredAsync(campaign);

        var edited = Definition(
            new { id = "zaochan", name = "守护早产小天使", goal = 100000 },
            new { id = "weixinyuan", name = "红十字微心愿", goal = 80000, story = "一个心愿" },
            new { id = "songwanjia", name = "博爱送万家", goal = 30000 });
        // The same start written in UTC is the same instant: no change.
        edited["startsAt"] = "2025-12-31T16:00:00Z";
        var response = await DryRunAsync(campaign, edited);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("dryRun").GetBoolean());
        Assert.False(body.GetProperty("created").GetBoolean());
        var changes = body.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("path").GetString()!);
        Assert.Equal(["projects[1].goal", "projects[1].story", "projects[2]"], changes.Keys.Order());
        Assert.Equal(50000, changes["projects[1].goal"].GetProperty("from").GetInt64());
        Assert.Equal(80000, changes["projects[1].goal"].GetProperty("to").GetInt64());
        Assert.Equal(JsonValueKind.Null, changes["projects[1].story"].GetProperty("from").ValueKind);
        Assert.Equal("一个心愿", changes["projects[1].story"].GetProperty("to").GetString());
        Assert.Equal("songwanjia", changes["projects[2]"].GetProperty("to").GetProperty("id").GetString());

        Assert.Equal(before, await StoredAsync(campaign));
        Assert.Equal(2, (await _app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects").GetArrayLength());

        // dryRun=false is the real PUT.
        Assert.Equal(HttpStatusCode.OK, (await DryRunAsync(campaign, edited, "?dryRun=false")).StatusCode);
        Assert.Equal(3, (await _app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects").GetArrayLength());
    }

    [Fact]
    public async Task A_dry_run_refuses_what_the_real_put_refuses_with_the_same_answer()
    {
        var campaign = TestCampaigns.NewId("dry-books");
        (await _app.PutCampaignAsync(campaign, Definition(
            new { id = "zaochan", name = "守护早产小天使", goal = 100000 },
            new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await _app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000 })).StatusCode);
        await AppInstance.EventuallyAsync(() => _app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            t => t.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "the gift counted");
        var before = await StoredAsync(campaign);

        foreach (var definition in new object[]
        {
            Definition(new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }),       // removes a project with money counted
            Definition(new { id = "zaochan", name = "", goal = -1 }),                           // invalid fields
        })
        {
            var dry = await DryRunAsync(campaign, definition);
            var real = await DryRunAsync(campaign, definition, "");
            Assert.Equal(HttpStatusCode.BadRequest, dry.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, real.StatusCode);
            var (d, r) = (await dry.Content.ReadFromJsonAsync<JsonElement>(), await real.Content.ReadFromJsonAsync<JsonElement>());
            foreach (var part in new[] { "code", "title", "detail", "errors", "codes" })
                Assert.Equal(r.GetProperty(part).GetRawText(), d.GetProperty(part).GetRawText());
        }
        var refused = await (await DryRunAsync(campaign, Definition(new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("projects.project_in_use", refused.GetProperty("codes").GetProperty("projects")[0].GetString());
        Assert.Equal("definition.conflicts", refused.GetProperty("code").GetString());
        Assert.Contains("¥50.00", refused.GetProperty("errors").GetProperty("projects")[0].GetString());
        Assert.Equal(before, await StoredAsync(campaign));

        var badFlag = await DryRunAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000 }), "?dryRun=yes");
        Assert.Equal(HttpStatusCode.BadRequest, badFlag.StatusCode);
        Assert.Equal("dryRun.invalid", (await badFlag.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("codes").GetProperty("dryRun")[0].GetString());
        var noKey = await _app.Http.PutAsJsonAsync($"/api/organiser/campaigns/{campaign}?dryRun=true", Definition(new { id = "zaochan", name = "守护早产小天使", goal = 1 }));
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);

        // Closed: 409 as the real PUT.
        Assert.Equal(HttpStatusCode.Accepted, (await _app.Http.SendAsync(_app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close"))).StatusCode);
        var closed = await DryRunAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000 }));
        Assert.Equal(HttpStatusCode.Conflict, closed.StatusCode);
        Assert.Equal("campaign.closed_for_edits", (await closed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
