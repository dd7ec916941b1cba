using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Tests.Pipeline;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;

namespace GivingDay.Tests.Matching;

/// <summary>Invariant 3 against Azurite: pools and caps hold under concurrent processors, redelivery and faults,
/// and the rules of api.md hold when driven from outside.</summary>
public class MatchingPipelineTests
{
    /// <summary>The campaign's pledge rows, every one of them counted.</summary>
    private static async Task<List<PipelineTestKit.StoredPledge>> LedgerAsync(AppInstance app, string campaign)
    {
        var rows = await PipelineTestKit.PledgeRowsAsync(app.Get<StorageAccount>(), campaign);
        Assert.All(rows, r => Assert.True(r.Counted, $"pledge {r.Id} not counted"));
        return rows;
    }

    [Fact]
    public async Task A_small_pool_is_used_up_exactly_by_racing_processors_under_redelivery_and_faults()
    {
        var prefix = Azurite.UniquePrefix();
        await using var intake = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        const long pool = 123_457; // odd on purpose: the last match is partial
        (await intake.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", pool, "1", perDonorCap: 9_000)]))).EnsureSuccessStatusCode();

        // 200 pledges from 40 donors (5 each, spread out so the velocity rule does not apply), demand far above the pool.
        var sent = Enumerable.Range(0, 200).Select(i => new PipelineTestKit.Sent(PipelineTestKit.Projects[i % 3], 1000 + i * 10, $"1370000{i % 40:0000}")).ToList();
        var ids = new List<string>();
        for (var round = 0; round < 5; round++)
            ids.AddRange(await PipelineTestKit.PostAllAsync(intake, campaign, sent.Skip(round * 40).Take(40).ToList()));
        var messages = await PipelineTestKit.DrainAsync(intake.Get<StorageAccount>(), sent.Count);

        await PipelineTestKit.CountWithRedeliveryAndFaultsAsync(prefix, messages);

        var ledger = await LedgerAsync(intake, campaign);
        Assert.Equal(sent.Count, ledger.Count);
        Assert.Equal(pool, ledger.Sum(p => p.Matched));
        Assert.All(ledger.Where(p => p.Matched > 0), p => Assert.Equal("aixin", p.FundId));
        Assert.All(ledger.GroupBy(p => p.DonorHash), d => Assert.True(d.Sum(p => p.Matched) <= 9_000, $"donor over cap: {d.Sum(p => p.Matched)}"));
        Assert.All(ledger, p => Assert.True(p.Matched <= p.Amount));

        var board = await intake.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");
        Assert.Equal(0, board.GetProperty("funds")[0].GetProperty("remaining").GetInt64());
        Assert.Equal(pool, board.GetProperty("totals").GetProperty("matched").GetInt64());
        PipelineTestKit.AssertTotalsMatch(board, sent);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task The_rules_hold_when_driven_from_outside(int shards)
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        var now = DateTimeOffset.UtcNow;
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition(
        [
            // Expired: its window ended before any pledge.
            TestCampaigns.Fund("expired", 1_000_000, "1", startsAt: now.AddMinutes(-50), endsAt: now.AddMinutes(-10)),
            // Only for zaochan, half the amount, at most ¥20 a pledge and ¥30 a donor.
            TestCampaigns.Fund("zaochan-half", 1_000_000, "0.5", perPledgeCap: 2000, perDonorCap: 3000, projectIds: ["zaochan"]),
            // Everything else, one to one.
            TestCampaigns.Fund("general", 1_000_000, "1"),
        ], startsAt: now.AddHours(-1), shards: shards))).EnsureSuccessStatusCode();

        async Task<JsonElement> GiveAsync(string project, long amount, string? contact, bool anonymous = false)
        {
            var r = await app.PledgeAsync(campaign, new { projectId = project, amount, donor = new { name = "赵六", anonymous, contact } });
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            var url = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusUrl").GetString()!;
            return await AppInstance.EventuallyAsync(() => app.GetJsonAsync(url), s => s.GetProperty("status").GetString() == "counted", what: "counted");
        }

        // zaochan: floor(5001 × 0.5) = 2500, capped at 2000 per pledge, by the first fund that covers it.
        var a = await GiveAsync("zaochan", 5001, "13600000001");
        Assert.Equal(2000, a.GetProperty("matched").GetInt64());
        Assert.Equal("zaochan-half", a.GetProperty("fundId").GetString());
        // Same donor: only 1000 left of their 3000 cap with that fund.
        var b = await GiveAsync("zaochan", 5000, "13600000001");
        Assert.Equal(1000, b.GetProperty("matched").GetInt64());
        // Cap reached: that fund gives zero, so the next fund in order (general) matches.
        var c = await GiveAsync("zaochan", 700, "13600000001");
        Assert.Equal(("general", 700L), (c.GetProperty("fundId").GetString(), c.GetProperty("matched").GetInt64()));
        // A project outside zaochan-half's list goes to general.
        var d = await GiveAsync("songwanjia", 1234, "13600000002");
        Assert.Equal(("general", 1234L), (d.GetProperty("fundId").GetString(), d.GetProperty("matched").GetInt64()));
        // Without a contact (anonymous): no match.
        var e = await GiveAsync("songwanjia", 5000, null, anonymous: true);
        Assert.Equal(0, e.GetProperty("matched").GetInt64());
        Assert.Equal(JsonValueKind.Null, e.GetProperty("fundId").ValueKind);

        // A scripted donor giving 8 times in a few seconds: the first 4 may match, the rest may not.
        var scripted = new List<JsonElement>();
        for (var i = 0; i < 8; i++) scripted.Add(await GiveAsync("weixinyuan", 1000, "13600000009"));
        Assert.All(scripted.Take(4), s => Assert.Equal(1000, s.GetProperty("matched").GetInt64()));
        Assert.All(scripted.Skip(4), s => Assert.Equal(0, s.GetProperty("matched").GetInt64()));

        var board = await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");
        var funds = board.GetProperty("funds").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("remaining").GetInt64());
        Assert.Equal(1_000_000, funds["expired"]);
        Assert.Equal(1_000_000 - 3000, funds["zaochan-half"]);
        Assert.Equal(1_000_000 - 700 - 1234 - 4000, funds["general"]);
        Assert.Equal(3000 + 700 + 1234 + 4000, board.GetProperty("totals").GetProperty("matched").GetInt64());
    }

    [Fact]
    public async Task A_live_pool_may_grow_but_never_shrink_below_what_is_matched()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 10_000, "1")]))).EnsureSuccessStatusCode();
        var r = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 6000, donor = new { contact = "13500000000" } });
        var url = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusUrl").GetString()!;
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync(url), s => s.GetProperty("status").GetString() == "counted");

        var lower = await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 5_999, "1")]));
        Assert.Equal(HttpStatusCode.BadRequest, lower.StatusCode);
        Assert.True((await lower.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("matchingFunds[0].pool", out _));
        var removed = await app.PutCampaignAsync(campaign, TestCampaigns.Definition());
        Assert.Equal(HttpStatusCode.BadRequest, removed.StatusCode);
        Assert.Equal(10_000, (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("matchingFunds")[0].GetProperty("pool").GetInt64());

        Assert.Equal(HttpStatusCode.OK, (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 6_000, "1")]))).StatusCode);
        var raised = await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 50_000, "1")]));
        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        var fund = (await raised.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matchingFunds")[0];
        Assert.Equal(50_000, fund.GetProperty("pool").GetInt64());
        Assert.Equal(44_000, fund.GetProperty("remaining").GetInt64());
        // Readers see it within their half-second cache.
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}"),
            c => c.GetProperty("matchingFunds")[0].GetProperty("remaining").GetInt64() == 44_000, what: "raised pool visible");
    }

    [Fact]
    public async Task Lowering_a_pool_while_pledges_are_counted_never_overdraws_it()
    {
        await using var a = await AppInstance.StartAsync(Azurite.UniquePrefix());
        await using var b = await AppInstance.StartAsync(a.Prefix);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1")]))).EnsureSuccessStatusCode();

        var sent = Enumerable.Range(0, 150).Select(i => new PipelineTestKit.Sent("zaochan", 1000, $"1330000{i:0000}")).ToList();
        var posting = Task.WhenAll(PipelineTestKit.PostAllAsync(a, campaign, sent.Take(75).ToList()), PipelineTestKit.PostAllAsync(b, campaign, sent.Skip(75).ToList()));
        // Meanwhile the organiser keeps lowering the pool to what looks matched (a stale view, on purpose).
        var lastAccepted = 1_000_000L;
        while (!posting.IsCompleted)
        {
            var fund = (await b.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("matchingFunds")[0];
            var looksUsed = fund.GetProperty("pool").GetInt64() - fund.GetProperty("remaining").GetInt64();
            var put = await b.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", looksUsed + 3000, "1")]));
            Assert.Contains(put.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest });
            if (put.StatusCode == HttpStatusCode.OK) lastAccepted = looksUsed + 3000;
            await Task.Delay(20);
        }
        await posting;
        await AppInstance.EventuallyAsync(() => a.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            x => x.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "all counted");

        var ledger = await LedgerAsync(a, campaign);
        var final = (await a.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("matchingFunds")[0];
        await AppInstance.EventuallyAsync(() => a.GetJsonAsync($"/api/campaigns/{campaign}"),
            c => c.GetProperty("matchingFunds")[0].GetProperty("pool").GetInt64() == lastAccepted, what: "last pool visible");
        Assert.True(ledger.Sum(p => p.Matched) <= lastAccepted, $"matched {ledger.Sum(p => p.Matched)} over the pool {lastAccepted}");
        Assert.True(final.GetProperty("remaining").GetInt64() >= 0);
    }
}
