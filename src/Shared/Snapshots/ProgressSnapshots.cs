using System.Collections.Concurrent;
using GivingDay.Campaigns;
using GivingDay.Ledger;
using Microsoft.Extensions.Logging;
using GivingDay.Telemetry;
using GivingDay.Totals;

namespace GivingDay.Snapshots;

/// <summary>What the snapshot timer does on each tick: a progress snapshot of every live campaign, named by the tick
/// (to the second, so a tick run twice still leaves one); campaigns past their end are closed, so they are finalised
/// without an organiser's click; and a closed campaign whose final snapshot is overdue is asked for again. Nothing
/// depends on every tick running: each tick snapshots what is there.</summary>
public sealed class ProgressSnapshots(CampaignStore campaigns, CampaignClosing closing, LiveTotals totals, SnapshotStore snapshots, LedgerTick ledgerTick,
    TimeProvider clock, ILogger<ProgressSnapshots> log)
{
    /// <summary>Ticks sequence what was counted lately; this often one also sweeps every counted pledge, for any counted
    /// later than the look-back (see docs/ledger.md).</summary>
    public static readonly TimeSpan FullSweepEvery = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastFullSweep = new();

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
                var checkpoint = await SequenceAsync(campaign.Id, now, ct);
                var reading = await totals.ReadAsync(campaign.Id);
                var snapshot = ProgressSnapshot.Of(campaign, reading.State, reading.ReadAt) with { Checkpoint = checkpoint };
                foreach (var fund in snapshot.Funds)
                    GivingDayTelemetry.FundRemaining.Record(fund.Remaining,
                        new KeyValuePair<string, object?>("campaign", campaign.Id), new KeyValuePair<string, object?>("fund", fund.Id));
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

    /// <summary>Sequences the campaign's newly counted gifts into its public ledger and returns the checkpoint; a failure
    /// here is logged and leaves this tick's snapshot without one, so one campaign's ledger never stops the others' snapshots.</summary>
    private async Task<Checkpoint?> SequenceAsync(string campaignId, DateTimeOffset now, CancellationToken ct)
    {
        var sweep = now - _lastFullSweep.GetValueOrDefault(campaignId) >= FullSweepEvery;
        try
        {
            var checkpoint = await ledgerTick.RunAsync(campaignId, ct, fullSweep: sweep);
            if (sweep) _lastFullSweep[campaignId] = now;
            return checkpoint;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Sequencing the public ledger of {Campaign} failed; the next tick tries again", campaignId);
            return null;
        }
    }
}
