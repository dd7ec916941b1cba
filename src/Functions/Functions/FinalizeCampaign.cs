using System.Text.Json;
using GivingDay.Functions.Hosting;
using GivingDay.Snapshots;
using GivingDay.Storage;

namespace GivingDay.Functions.Functions;

/// <summary>Queue trigger on campaign-close: writes the final snapshot once every accepted pledge is counted.
/// Until then it fails, and the message comes back after the visibility timeout.</summary>
public static class FinalizeCampaign
{
    public static readonly QueueFunction Declaration = new("FinalizeCampaign", StorageNames.CloseQueue, RunAsync);

    public static async Task RunAsync(IServiceProvider services, QueueMessageInput message, CancellationToken ct)
    {
        var campaignId = JsonDocument.Parse(message.Text).RootElement.GetProperty("campaignId").GetString()
            ?? throw new JsonException("campaignId missing");
        await services.GetRequiredService<FinalSnapshot>().WriteAsync(campaignId, ct);
    }
}
