using GivingDay.Pledges;
using GivingDay.Totals;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Functions;

/// <summary>Counts a batch of accepted pledges into the live totals. A failure throws, so the message reappears, and
/// after maxDequeueCount it lands in pledges-poison. Counting is exactly once however often a message is delivered.</summary>
public sealed class CountPledges(TotalsProjector projector)
{
    [Function(nameof(CountPledges))]
    public Task Run([QueueTrigger(Triggers.PledgeQueue, Connection = Triggers.Connection)] PledgeBatchMessage message, CancellationToken ct) =>
        projector.CountAsync(message, ct);
}
