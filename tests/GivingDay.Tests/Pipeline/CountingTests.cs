using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Pipeline;

/// <summary>Invariants 1 and 2: every accepted pledge counted exactly once, whatever the delivery.</summary>
public class CountingTests
{
    [Fact]
    public async Task Three_processors_racing_over_duplicated_messages_with_injected_faults_count_each_pledge_once()
    {
        var prefix = Azurite.UniquePrefix();
        await using var intake = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await intake.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var sent = Crowd(240, seed: 7);
        await PostAllAsync(intake, campaignId, sent);
        var messages = await DrainAsync(intake.Get<StorageAccount>(), sent.Count);

        // Faults before calls, and calls whose answer is lost after they went through, between counting steps.
        void Faulty(IServiceCollection s)
        {
            s.AddSingleton(Chaos.Faults(StoragePipelines.Storage, 0.1));
            s.AddSingleton(Chaos.Faults(StoragePipelines.CountCommit, 0.15));
            s.AddSingleton(Chaos.LostAnswers(StoragePipelines.CountCommit, 0.15));
        }
        var processors = new List<AppInstance>();
        for (var i = 0; i < 3; i++) processors.Add(await AppInstance.StartAsync(prefix, services: Faulty, listeners: false));
        try
        {
            // Every message delivered three times, to any processor, at once: at-least-once delivery at its worst.
            var deliveries = messages.SelectMany(m => Enumerable.Repeat(m, 3)).OrderBy(_ => Random.Shared.Next()).ToList();
            var countedByCalls = 0;
            await Parallel.ForEachAsync(deliveries.Select((m, i) => (m, i)), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (d, ct) =>
            {
                var projector = processors[d.i % processors.Count].Get<TotalsProjector>();
                // A failed delivery comes back, as the queue would redeliver it.
                for (var attempt = 0; ; attempt++)
                {
                    try { Interlocked.Add(ref countedByCalls, await projector.CountAsync(d.m, ct)); return; }
                    catch (Exception) when (attempt < 20) { }
                }
            });

            // Calls can report fewer than were counted (a lost answer hides a step that went through), never more.
            Assert.InRange(countedByCalls, 1, sent.Count);
            var board = await intake.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
            AssertTotalsMatch(board, sent);
            Assert.Equal(0, await MarkersLeftAsync(intake.Get<StorageAccount>(), campaignId));
        }
        finally { foreach (var p in processors) await p.DisposeAsync(); }
    }

    [Fact]
    public async Task A_message_counted_again_after_success_changes_nothing()
    {
        var prefix = Azurite.UniquePrefix();
        await using var app = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var sent = Crowd(20, seed: 3);
        await PostAllAsync(app, campaignId, sent);
        var messages = await DrainAsync(app.Get<StorageAccount>(), sent.Count);
        var projector = app.Get<TotalsProjector>();

        foreach (var m in messages) await projector.CountAsync(m, default);
        var again = 0;
        foreach (var m in messages) again += await projector.CountAsync(m, default);

        Assert.Equal(0, again);
        AssertTotalsMatch(await app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
    }
}
