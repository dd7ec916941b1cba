using GivingDay.Campaigns;
using GivingDay.Snapshots;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Functions;

/// <summary>Writes the final snapshot once every accepted pledge is counted. While pledges are still being counted it
/// asks again a little later with a new, delayed message rather than failing: a long counting backlog must not push
/// the close message into the poison queue.</summary>
public sealed class FinalizeCampaign(FinalSnapshot final, CampaignClosing closing)
{
    public static readonly TimeSpan AskAgainAfter = TimeSpan.FromSeconds(2);

    [Function(nameof(FinalizeCampaign))]
    public async Task Run([QueueTrigger(Triggers.CloseQueue, Connection = Triggers.Connection)] CloseMessage message, long dequeueCount, CancellationToken ct)
    {
        try
        {
            if (await final.WriteAsync(message.CampaignId, ct) is FinalOutcome.NotYet)
                await closing.RequestFinalAsync(message.CampaignId, ct, after: AskAgainAfter);
        }
        catch (Exception) when (PoisonMessages.GivenUp(Triggers.CloseQueue, dequeueCount)) { throw; }
    }
}
