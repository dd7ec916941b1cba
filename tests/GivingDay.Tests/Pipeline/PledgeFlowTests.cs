using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Pipeline;

/// <summary>The whole flow in standalone mode: intake → queue → the app's own listeners → live totals → leaderboard.</summary>
public class PledgeFlowTests
{
    private static Task<JsonElement> BoardAsync(AppInstance app, string campaign) => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");

    [Fact]
    public async Task Accepted_pledge_is_counted_and_shown_in_the_leaderboard()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        var response = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000, donor = new { name = "张三", contact = "13800138000" }, message = "愿早产宝宝平安" });
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var status = await AppInstance.EventuallyAsync(() => app.GetJsonAsync(accepted.GetProperty("statusUrl").GetString()!),
            s => s.GetProperty("status").GetString() == "counted", what: "pledge counted");
        Assert.Equal(0, status.GetProperty("matched").GetInt64());

        var board = await BoardAsync(app, campaign);
        Assert.Equal(5000, board.GetProperty("totals").GetProperty("raised").GetInt64());
        var recent = board.GetProperty("recent")[0];
        Assert.Equal("张*", recent.GetProperty("name").GetString());
        Assert.DoesNotContain("13800138000", board.ToString());
    }

    [Fact]
    public async Task Two_instances_with_faults_count_a_crowd_of_pledges_exactly()
    {
        var prefix = Azurite.UniquePrefix();
        void Faulty(IServiceCollection s)
        {
            s.AddSingleton(Chaos.Faults(StoragePipelines.Storage, 0.05));
            s.AddSingleton(Chaos.Faults(StoragePipelines.CountCommit, 0.1));
            s.AddSingleton(Chaos.LostAnswers(StoragePipelines.CountCommit, 0.1));
            s.AddSingleton(Chaos.LostAnswers(StoragePipelines.IntakeStore, 0.1));
        }
        await using var a = await AppInstance.StartAsync(prefix, services: Faulty);
        await using var b = await AppInstance.StartAsync(prefix, services: Faulty);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        var sent = Crowd(300, seed: 42);
        var half = sent.Count / 2;
        await Task.WhenAll(PostAllAsync(a, campaign, sent.Take(half).ToList()), PostAllAsync(b, campaign, sent.Skip(half).ToList()));

        await AppInstance.EventuallyAsync(() => BoardAsync(b, campaign),
            x => x.GetProperty("totals").GetProperty("pledges").GetInt64() >= sent.Count, what: "all pledges counted");
        // Nothing may be counted twice later either: once the queue is empty and no pledge waits in a marker,
        // nothing more can be counted, so the totals then are final.
        await a.SettledAsync(campaign);
        AssertTotalsMatch(await BoardAsync(a, campaign), sent);
    }

    [Fact]
    public async Task A_message_that_keeps_failing_lands_in_the_poison_queue_after_the_dequeue_limit()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "3" });
        var account = app.Get<StorageAccount>();
        // A batch for a campaign that does not exist can never be counted.
        await account.Queue(StorageNames.PledgeQueue).SendMessageAsync("{\"campaignId\":\"ghost\",\"pledges\":[]}");
        await account.Queue(StorageNames.PledgeQueue).SendMessageAsync("not json at all");

        var poison = account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.PledgeQueue));
        var poisoned = await AppInstance.EventuallyAsync(async () => (await poison.PeekMessagesAsync(10)).Value,
            m => m.Length == 2, TimeSpan.FromSeconds(60), "two poisoned messages");
        Assert.Contains(poisoned, m => m.Body.ToString() == "not json at all");
        Assert.Null((await account.Queue(StorageNames.PledgeQueue).PeekMessageAsync()).Value);
    }
}
