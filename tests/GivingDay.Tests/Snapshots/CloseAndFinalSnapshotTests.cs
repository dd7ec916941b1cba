using GivingDay.Snapshots;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GivingDay.Tests.Snapshots;

/// <summary>Closing a campaign and its final snapshot (invariant 4: snapshots reconcile).</summary>
public class CloseAndFinalSnapshotTests
{
    private static async Task<HttpResponseMessage> OrganiserAsync(AppInstance app, HttpMethod method, string path, HttpContent? content = null) =>
        await app.Http.SendAsync(app.Organiser(method, path, content));

    private static async Task<byte[]> FinalAsync(AppInstance app, string campaign, string query = "")
    {
        var response = await AppInstance.EventuallyAsync(() => OrganiserAsync(app, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final{query}"),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "final snapshot");
        return await response.Content.ReadAsByteArrayAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Close_while_pledges_flow_loses_none_takes_none_after_and_the_final_snapshot_reconciles(int shards)
    {
        await using var a = await AppInstance.StartAsync(Azurite.UniquePrefix());
        await using var b = await AppInstance.StartAsync(a.Prefix);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 30_000, "1", perPledgeCap: 1000)], shards: shards))).EnsureSuccessStatusCode();

        var accepted = new ConcurrentBag<(string Id, long Amount)>();
        var refusedAfterClose = 0;
        var closedAt = DateTimeOffset.MaxValue;
        using var stop = new CancellationTokenSource();
        var donors = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var app = client % 2 == 0 ? a : b;
                var amount = 100L * (1 + (client * 7 + i) % 50);
                var sentAt = DateTimeOffset.UtcNow;
                using var r = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount, donor = new { name = "张三丰", contact = $"1380000{client:00}{i % 10:00}" } }, $"c{client}-{i}");
                if (r.StatusCode == HttpStatusCode.Accepted)
                    accepted.Add(((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!, amount));
                else
                {
                    Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
                    if (sentAt > closedAt) Interlocked.Increment(ref refusedAfterClose);
                }
            }
        })).ToList();

        await AppInstance.EventuallyAsync(() => Task.FromResult(accepted.Count), n => n >= 150, what: "pledges flowing");
        var close = await OrganiserAsync(b, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close");
        closedAt = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        // The donors keep giving until pledges sent after the close have been refused.
        await AppInstance.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref refusedAfterClose)), n => n > 0, what: "pledges sent after the close refused");
        await stop.CancelAsync();
        await Task.WhenAll(donors);
        // Closing again is harmless.
        Assert.Equal(HttpStatusCode.Accepted, (await OrganiserAsync(a, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close")).StatusCode);

        var csvBytes = await FinalAsync(a, campaign, "?format=csv");
        var summary = JsonDocument.Parse(await FinalAsync(a, campaign)).RootElement;

        // The ledger: UTF-8 with BOM, one row per accepted pledge, none lost, none extra.
        Assert.Equal(Encoding.UTF8.GetPreamble(), csvBytes[..3]);
        var lines = Encoding.UTF8.GetString(csvBytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("捐赠编号,时间（北京时间）,项目编号,项目,金额（元）,金额（分）,配捐（元）,配捐（分）,配捐基金,渠道,显示名,留言", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(accepted.Select(x => x.Id).Order(), rows.Select(r => r[0]).Order());
        Assert.Equal(accepted.Sum(x => x.Amount), rows.Sum(r => long.Parse(r[5])));
        // Yuan with two decimals beside fen; Beijing time.
        Assert.All(rows, r => Assert.Equal((long.Parse(r[5]) / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), r[4]));
        Assert.All(rows, r => Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", r[1]));
        var firstAt = DateTimeOffset.ParseExact(rows[0][1] + " +08:00", "yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(firstAt, closedAt.AddMinutes(-5), closedAt);

        // The summary equals the ledger, the live totals, and names the ledger's hash.
        var totals = summary.GetProperty("totals");
        Assert.Equal(rows.Sum(r => long.Parse(r[5])), totals.GetProperty("raised").GetInt64());
        Assert.Equal(rows.Sum(r => long.Parse(r[7])), totals.GetProperty("matched").GetInt64());
        Assert.Equal(rows.Count, summary.GetProperty("pledges").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(csvBytes)), summary.GetProperty("ledgerSha256").GetString());
        var live = (await a.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals");
        Assert.Equal(live.GetProperty("raised").GetInt64(), totals.GetProperty("raised").GetInt64());
        Assert.Equal(live.GetProperty("matched").GetInt64(), totals.GetProperty("matched").GetInt64());
        Assert.Equal(live.GetProperty("donors").GetInt64(), totals.GetProperty("donors").GetInt64());
        Assert.True(totals.GetProperty("matched").GetInt64() <= 30_000);

        // No contact and no full name anywhere.
        var everything = Encoding.UTF8.GetString(csvBytes) + summary;
        Assert.DoesNotContain("1380000", everything);
        Assert.DoesNotContain("张三丰", everything);
        Assert.Contains("张**", everything);

        // The campaign is marked finalized once its snapshot is written (and read through a cache of a second).
        await AppInstance.EventuallyAsync(async () => (await a.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("status").GetString(),
            status => status == "finalized", what: "the campaign finalized");
        var list = await (await OrganiserAsync(a, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots")).Content.ReadFromJsonAsync<JsonElement>();
        var final = list.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "final.csv");
        Assert.Equal(csvBytes.Length, final.GetProperty("size").GetInt64());
        Assert.Equal(summary.GetProperty("ledgerSha256").GetString(), final.GetProperty("sha256").GetString());
        // A closed campaign cannot be redefined.
        Assert.Equal(HttpStatusCode.Conflict, (await a.PutCampaignAsync(campaign, TestCampaigns.Definition())).StatusCode);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Pledges_stored_but_never_queued_before_the_close_are_re_driven_and_in_the_final_snapshot(int shards)
    {
        // Intake on this instance stores pledges but every enqueue fails; the other instance re-drives and counts.
        await using var faulty = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false,
            services: s => s.AddSingleton(Chaos.Faults(GivingDay.Resilience.StoragePipelines.IntakeEnqueue, 1.0)));
        var campaign = TestCampaigns.NewId();
        (await faulty.PutCampaignAsync(campaign, TestCampaigns.Definition(shards: shards))).EnsureSuccessStatusCode();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await faulty.PledgeAsync(campaign, new { projectId = "songwanjia", amount = 1000 + i })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await OrganiserAsync(faulty, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close")).StatusCode);
        // Not final while pledges wait to be counted: an outcome saying why, not an exception.
        var notYet = Assert.IsType<FinalOutcome.NotYet>(await faulty.Get<FinalSnapshot>().WriteAsync(campaign, default));
        Assert.Contains("still being counted", notYet.Why);

        // The close waits (asking again, never poisoned) until the re-drive has queued and counted them.
        await using var healthy = await AppInstance.StartAsync(faulty.Prefix, new() { ["Redrive:StaleAfterSeconds"] = "3" });
        var summary = JsonDocument.Parse(await FinalAsync(healthy, campaign)).RootElement;
        Assert.Equal(5, summary.GetProperty("pledges").GetInt64());
        Assert.Equal(5010, summary.GetProperty("totals").GetProperty("raised").GetInt64());
        // The snapshot is readable a moment before the campaign is marked finalized (its writer marks it next): once
        // marked, there is nothing left to do.
        await AppInstance.EventuallyAsync(async () => (await healthy.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("status").GetString(),
            status => status == "finalized", what: "the campaign finalized");
        Assert.IsType<FinalOutcome.NothingToDo>(await healthy.Get<FinalSnapshot>().WriteAsync(campaign, default));
    }

    [Fact]
    public async Task A_campaign_closed_without_a_gift_is_finalized_with_zero_figures_and_no_checkpoint()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId("empty");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await OrganiserAsync(app, HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close")).StatusCode);

        using var summary = JsonDocument.Parse(await FinalAsync(app, campaign));
        Assert.Equal(0, summary.RootElement.GetProperty("pledges").GetInt64());
        Assert.Equal(0, summary.RootElement.GetProperty("totals").GetProperty("raised").GetInt64());
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("checkpoint").ValueKind);
        var status = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}"),
            c => c.GetProperty("status").GetString() == "finalized", what: "campaign finalized");
        Assert.Equal("finalized", status.GetProperty("status").GetString());
        // Nothing was ever sequenced: the public ledger stays 404, as for any campaign without a gift.
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/checkpoint")).StatusCode);
    }

    [Fact]
    public async Task The_final_snapshot_is_404_until_the_campaign_is_closed_and_unknown_campaigns_are_404()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await OrganiserAsync(app, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await OrganiserAsync(app, HttpMethod.Post, "/api/organiser/campaigns/nope/close")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await OrganiserAsync(app, HttpMethod.Get, "/api/organiser/campaigns/nope/snapshots")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await OrganiserAsync(app, HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final?format=xls")).StatusCode);
        // The console's key check: the right key is 204, and nothing more.
        Assert.Equal(HttpStatusCode.NoContent, (await OrganiserAsync(app, HttpMethod.Get, "/api/organiser/key")).StatusCode);
    }

    [Theory]
    [InlineData("PUT", "/api/organiser/campaigns/{0}")]
    [InlineData("POST", "/api/organiser/campaigns/{0}/close")]
    [InlineData("GET", "/api/organiser/campaigns/{0}/snapshots")]
    [InlineData("GET", "/api/organiser/campaigns/{0}/snapshots/final")]
    [InlineData("GET", "/api/organiser/campaigns/{0}/snapshots/final?format=csv")]
    [InlineData("POST", "/api/organiser/campaigns/{0}/offline-pledges")]
    [InlineData("GET", "/api/organiser/campaigns/{0}/donors/downloads")]
    [InlineData("GET", "/api/organiser/key")]
    public async Task Every_organiser_route_is_401_without_the_key_and_changes_nothing(string method, string path)
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var request = new HttpRequestMessage(new HttpMethod(method), string.Format(path, campaign))
        { Content = method == "GET" ? null : new StringContent("projectId,amount\nzaochan,100", Encoding.UTF8, "text/csv") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-key");
        var response = await app.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("live", (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("status").GetString());
        Assert.Equal(0, (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64());
    }
}
