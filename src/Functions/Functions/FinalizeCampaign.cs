using System.Text.Json;
using GivingDay.Functions.Hosting;
using GivingDay.Snapshots;
using GivingDay.Storage;

namespace GivingDay.Functions.Functions;

/// <summary>Queue trigger on campaign-close: writes the final snapshot once every accepted pledge is counted.
/// While pledges are still being counted it asks again a little later with a new, delayed message (rather
/// than failing: a long counting backlog must not push the close message into the poison queue).</summary>
public static class FinalizeCampaign
{
    public static readonly QueueFunction Declaration = new("FinalizeCampaign", StorageNames.CloseQueue, RunAsync);
    public static readonly TimeSpan AskAgainAfter = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(IServiceProvider services, QueueMessageInput message, CancellationToken ct)
    {
        var campaignId = JsonDocument.Parse(message.Text).RootElement.GetProperty("campaignId").GetString()
            ?? throw new JsonException("campaignId missing");
        try
        {
            await services.GetRequiredService<FinalSnapshot>().WriteAsync(campaignId, ct);
        }
        catch (NotYetFinalException)
        {
            await services.GetRequiredService<StorageAccount>().Queue(StorageNames.CloseQueue)
                .SendMessageAsync(message.Text, visibilityTimeout: AskAgainAfter, cancellationToken: ct);
        }
    }
}
