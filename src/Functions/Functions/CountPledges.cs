using System.Text.Json;
using GivingDay.Functions.Hosting;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Storage;
using GivingDay.Totals;

namespace GivingDay.Functions.Functions;

/// <summary>Queue trigger on the pledge queue: counts a batch of accepted pledges into the live totals.
/// A failure throws, so the message reappears and after maxDequeueCount lands in pledges-poison.</summary>
public static class CountPledges
{
    public static readonly QueueFunction Declaration = new("CountPledges", StorageNames.PledgeQueue, RunAsync);

    public static async Task RunAsync(IServiceProvider services, QueueMessageInput message, CancellationToken ct)
    {
        var batch = JsonSerializer.Deserialize<PledgeBatchMessage>(message.Text, GivingDayJson.Options)
            ?? throw new JsonException("empty pledge batch message");
        await services.GetRequiredService<TotalsProjector>().CountAsync(batch, ct);
    }
}
