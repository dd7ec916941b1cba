using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Functions.Hosting;
using GivingDay.Json;
using GivingDay.Snapshots;
using GivingDay.Storage;
using GivingDay.Totals;

namespace GivingDay.Functions.Functions;

/// <summary>Timer (SnapshotSchedule, default every minute): a progress snapshot of every live campaign, named by
/// the tick, so a tick run twice still leaves one. Campaigns past their end are closed here too, so they are
/// finalised without an organiser's click, and a closed campaign whose final snapshot is overdue is asked for again.</summary>
public static class SnapshotProgress
{
    public static readonly TimerFunction Declaration = new("SnapshotProgress", "SnapshotSchedule", "0 * * * * *", RunAsync);

    public static async Task RunAsync(IServiceProvider services, TimerInput timer, CancellationToken ct)
    {
        var campaigns = services.GetRequiredService<CampaignStore>();
        var totals = services.GetRequiredService<LiveTotals>();
        var snapshots = services.GetRequiredService<SnapshotStore>();
        var clock = services.GetRequiredService<TimeProvider>();
        foreach (var campaign in await campaigns.ListAsync(ct))
        {
            var status = campaign.StatusAt(clock.GetUtcNow());
            if (status == CampaignStatus.Live)
            {
                var reading = await totals.ReadAsync(campaign.Id);
                var snapshot = ProgressSnapshot.Of(campaign, reading.State, reading.ReadAt);
                await snapshots.CreateAsync(campaign.Id, SnapshotStore.Stamp(timer.ScheduledAt), snapshot.ToJson(), "application/json; charset=utf-8", reading.ReadAt, ct);
            }
            else if (status == CampaignStatus.Closed && campaign.ClosedAt is null)
            {
                await CloseAsync(services, campaign.Id, ct);
            }
            else if (status == CampaignStatus.Closed && clock.GetUtcNow() - campaign.ClosedAt > StuckAfter)
            {
                // Closed but still not final (its close message was lost or poisoned): ask again.
                await RequestFinalAsync(services, campaign.Id, ct);
            }
        }
    }

    /// <summary>Marks the campaign closed and asks for its final snapshot.</summary>
    public static async Task<Campaign?> CloseAsync(IServiceProvider services, string campaignId, CancellationToken ct)
    {
        var closed = await services.GetRequiredService<CampaignStore>().CloseAsync(campaignId, ct);
        if (closed is null) return null;
        if (closed.FinalizedAt is null) await RequestFinalAsync(services, campaignId, ct);
        return closed;
    }

    private static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(2);

    private static Task RequestFinalAsync(IServiceProvider services, string campaignId, CancellationToken ct) =>
        services.GetRequiredService<StorageAccount>().Queue(StorageNames.CloseQueue)
            .SendMessageAsync(JsonSerializer.Serialize(new { campaignId }, GivingDayJson.Options), ct);
}
