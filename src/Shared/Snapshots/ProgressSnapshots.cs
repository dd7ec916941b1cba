using GivingDay.Campaigns;
using GivingDay.Telemetry;
using GivingDay.Totals;

namespace GivingDay.Snapshots;

/// <summary>What the snapshot timer does on each tick: a progress snapshot of every live campaign, named by the tick
/// (to the second, so a tick run twice still leaves one); campaigns past their end are closed, so they are finalised
/// without an organiser's click; and a closed campaign whose final snapshot is overdue is asked for again. Nothing
/// depends on every tick running: each tick snapshots what is there.</summary>
public sealed class ProgressSnapshots(CampaignStore campaigns, CampaignClosing closing, LiveTotals totals, SnapshotStore snapshots, TimeProvider clock)
{
    /// <summary>A closed campaign not final after this long has lost its close message (or it was poisoned).</summary>
    public static readonly TimeSpan FinalOverdueAfter = TimeSpan.FromMinutes(2);

    public async Task TickAsync(CancellationToken ct)
    {
        var tick = clock.GetUtcNow();
        foreach (var campaign in await campaigns.ListAsync(ct))
        {
            var now = clock.GetUtcNow();
            var status = campaign.StatusAt(now);
            if (status == CampaignStatus.Live)
            {
                var reading = await totals.ReadAsync(campaign.Id);
                foreach (var fund in campaign.MatchingFunds)
                    GivingDayTelemetry.FundRemaining.Record(reading.State.FundPools.GetValueOrDefault(fund.Id, fund.Pool.Fen) - reading.State.Used(fund.Id),
                        new KeyValuePair<string, object?>("campaign", campaign.Id), new KeyValuePair<string, object?>("fund", fund.Id));
                var snapshot = ProgressSnapshot.Of(campaign, reading.State, reading.ReadAt);
                await snapshots.CreateAsync(campaign.Id, SnapshotStore.Stamp(tick), snapshot.ToJson(), "application/json; charset=utf-8", reading.ReadAt, ct);
            }
            else if (status == CampaignStatus.Closed && campaign.ClosedAt is null)
            {
                await closing.CloseAsync(campaign.Id, ct);
            }
            else if (status == CampaignStatus.Closed && now - campaign.ClosedAt > FinalOverdueAfter)
            {
                await closing.RequestFinalAsync(campaign.Id, ct);
            }
        }
    }
}
