using System.Diagnostics;
using GivingDay.Pledges;
using GivingDay.Telemetry;
using GivingDay.Totals;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Functions;

/// <summary>Counts a batch of accepted pledges into the live totals. A failure throws, so the message reappears, and
/// after maxDequeueCount it lands in pledges-poison. Counting is exactly once however often a message is delivered.</summary>
public sealed class CountPledges(TotalsProjector projector, TimeProvider clock)
{
    [Function(nameof(CountPledges))]
    public async Task Run([QueueTrigger(Triggers.PledgeQueue, Connection = Triggers.Connection)] PledgeBatchMessage message, long dequeueCount, CancellationToken ct)
    {
        try { await CountAsync(message, ct); }
        catch (Exception) when (PoisonMessages.GivenUp(Triggers.PledgeQueue, dequeueCount)) { throw; }
    }

    private async Task CountAsync(PledgeBatchMessage message, CancellationToken ct)
    {
        // The trace of the request that stored these pledges goes on here, across the queue.
        using var activity = GivingDayTelemetry.Source.StartActivity("count pledges", ActivityKind.Consumer, message.TraceParent);
        activity?.SetTag("givingday.campaign", message.CampaignId);
        var counted = await projector.CountAsync(message, ct);
        activity?.SetTag("givingday.counted", counted);
        if (counted == 0) return; // all counted before (a redelivery): nothing new to report
        GivingDayTelemetry.PledgesCounted.Add(counted);
        var now = clock.GetUtcNow();
        foreach (var pledge in message.Pledges) GivingDayTelemetry.CountingLag.Record((now - pledge.AcceptedAt).TotalSeconds);
    }
}
