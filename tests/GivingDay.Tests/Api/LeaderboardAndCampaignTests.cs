using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Tests.Pipeline;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GivingDay.Tests.Api;

public class LeaderboardAndCampaignTests
{
    [Fact]
    public async Task Leaderboard_answers_304_to_its_own_ETag_until_the_totals_change()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var id = TestCampaigns.NewId();
        (await app.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        var first = await app.Http.GetAsync($"/api/campaigns/{id}/leaderboard");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;
        Assert.Contains("max-age", first.Headers.CacheControl!.ToString());
        Assert.True(first.Headers.CacheControl.Public);

        async Task<HttpResponseMessage> Conditional(EntityTagHeaderValue tag)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/campaigns/{id}/leaderboard");
            request.Headers.IfNoneMatch.Add(tag);
            return await app.Http.SendAsync(request);
        }

        var unchanged = await Conditional(etag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        // A weak copy of the tag (as proxies make) matches too.
        Assert.Equal(HttpStatusCode.NotModified, (await Conditional(new EntityTagHeaderValue(etag.Tag, isWeak: true))).StatusCode);
        // Ranking by donors is another representation with its own tag.
        var byDonors = await app.Http.GetAsync($"/api/campaigns/{id}/leaderboard?by=donors");
        Assert.NotEqual(etag, byDonors.Headers.ETag);

        await app.PledgeAsync(id, new { projectId = "zaochan", amount = 5000 });
        foreach (var m in await PipelineTestKit.DrainAsync(app.Get<StorageAccount>(), 1)) await app.Get<TotalsProjector>().CountAsync(m, default);

        var changed = await AppInstance.EventuallyAsync(() => Conditional(etag), r => r.StatusCode == HttpStatusCode.OK, what: "leaderboard change");
        var board = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5000, board.GetProperty("totals").GetProperty("raised").GetInt64());
        Assert.NotEqual(etag, changed.Headers.ETag);
    }

    [Fact]
    public async Task Leaderboard_ranks_by_total_or_donors_with_ties_broken_by_the_other_then_project_id()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var id = TestCampaigns.NewId();
        (await app.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        // zaochan: one big gift; weixinyuan: three small gifts from three donors; songwanjia: nothing.
        await app.PledgeAsync(id, new { projectId = "zaochan", amount = 100000, donor = new { contact = "13800000001" } });
        for (var i = 0; i < 3; i++) await app.PledgeAsync(id, new { projectId = "weixinyuan", amount = 1000, donor = new { contact = $"1380000001{i}" } });
        foreach (var m in await PipelineTestKit.DrainAsync(app.Get<StorageAccount>(), 4)) await app.Get<TotalsProjector>().CountAsync(m, default);

        var byTotal = await app.GetJsonAsync($"/api/campaigns/{id}/leaderboard");
        Assert.Equal(["zaochan", "weixinyuan", "songwanjia"], byTotal.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("projectId").GetString()));
        Assert.Equal([1, 2, 3], byTotal.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("rank").GetInt32()));
        var byDonors = await app.GetJsonAsync($"/api/campaigns/{id}/leaderboard?by=donors");
        Assert.Equal(["weixinyuan", "zaochan", "songwanjia"], byDonors.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("projectId").GetString()));
        Assert.Equal(4, byDonors.GetProperty("totals").GetProperty("donors").GetInt64());

        var bad = await app.Http.GetAsync($"/api/campaigns/{id}/leaderboard?by=money");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/api/campaigns/none/leaderboard")).StatusCode);
    }

    [Fact]
    public async Task Hundreds_of_polls_cost_one_storage_read_per_freshness_window()
    {
        // The app's own clock, stopped: every poll falls in one freshness window until the test moves it on.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var reads = new System.Runtime.CompilerServices.StrongBox<int>();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false, services: s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton(Chaos.Counting(GivingDay.Resilience.StoragePipelines.Storage, reads));
        });
        var id = TestCampaigns.NewId();
        (await app.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync($"/api/campaigns/{id}/leaderboard")).StatusCode);
        async Task<int> ReadsFor200PollsAsync()
        {
            var before = reads.Value;
            var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => app.Http.GetAsync($"/api/campaigns/{id}/leaderboard")));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            return reads.Value - before;
        }

        // Inside the window: the campaign and the totals come from memory, not one storage read.
        Assert.Equal(0, await ReadsFor200PollsAsync());
        // Just short of the window's end: still none.
        clock.Advance(LiveTotals.Freshness - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await ReadsFor200PollsAsync());
        // At its end the totals are stale (the campaign's definition is cached longer): one read, shared by every poll.
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await ReadsFor200PollsAsync());
        Assert.Equal(0, await ReadsFor200PollsAsync());
        // Once the definition is stale too: one read of it and one of the totals, however many polls find them stale at once.
        clock.Advance(CampaignStore.CacheFor);
        Assert.Equal(2, await ReadsFor200PollsAsync());
        Assert.Equal(0, await ReadsFor200PollsAsync());
    }

    [Fact]
    public async Task Campaign_is_shown_as_defined_with_funds_remaining_equal_to_pool()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var id = TestCampaigns.NewId();
        var put = await app.PutCampaignAsync(id, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 100000, "0.5", perPledgeCap: 5000)]));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var campaign = await app.GetJsonAsync($"/api/campaigns/{id}");
        Assert.Equal("live", campaign.GetProperty("status").GetString());
        Assert.Equal("CNY", campaign.GetProperty("currency").GetString());
        Assert.Equal(100, campaign.GetProperty("minPledge").GetInt64());
        Assert.Equal(5_000_000, campaign.GetProperty("maxPledge").GetInt64());
        Assert.Equal(3, campaign.GetProperty("projects").GetArrayLength());
        var fund = campaign.GetProperty("matchingFunds")[0];
        Assert.Equal(0.5m, fund.GetProperty("ratio").GetDecimal());
        Assert.Equal(100000, fund.GetProperty("pool").GetInt64());
        Assert.Equal(100000, fund.GetProperty("remaining").GetInt64());

        var again = await app.PutCampaignAsync(id, TestCampaigns.Definition());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/api/campaigns/none")).StatusCode);
    }

    [Fact]
    public async Task Organiser_routes_refuse_a_missing_or_wrong_key_and_change_nothing()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var id = TestCampaigns.NewId();
        var none = await app.Http.PutAsJsonAsync($"/api/organiser/campaigns/{id}", TestCampaigns.Definition());
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Put, $"/api/organiser/campaigns/{id}") { Content = JsonContent.Create(TestCampaigns.Definition()) };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.SendAsync(wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("name", null, "name")]
    [InlineData("endsAt", "2020-01-01T00:00:00+08:00", "endsAt")]
    [InlineData("startsAt", "2026-05-08 00:00", "startsAt")]
    [InlineData("event", "christmas", "event")]
    public async Task Invalid_definition_is_400_naming_the_field(string property, string? value, string field)
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var definition = (Dictionary<string, object?>)TestCampaigns.Definition();
        definition[property] = value;
        var id = TestCampaigns.NewId();
        var response = await app.PutCampaignAsync(id, definition);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{id}")).StatusCode);
    }
}
