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

        var countedByCalls = await CountWithRedeliveryAndFaultsAsync(prefix, messages);

        // Calls can report fewer than were counted (a lost answer hides a step that went through), never more.
        Assert.InRange(countedByCalls, 1, sent.Count);
        var board = await intake.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
        AssertTotalsMatch(board, sent);
        Assert.Equal(0, await MarkersLeftAsync(intake.Get<StorageAccount>(), campaignId));
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
