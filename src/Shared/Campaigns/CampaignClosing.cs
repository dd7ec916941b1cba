using System.Text.Json;
using GivingDay.Json;
using GivingDay.Storage;

namespace GivingDay.Campaigns;

/// <summary>Closing a campaign: intake stops at once (intake re-reads the campaign before every commit), then the
/// final snapshot is asked for on the campaign-close queue. Closing again is harmless.</summary>
public sealed class CampaignClosing(CampaignStore campaigns, StorageAccount account)
{
    /// <summary>Marks the campaign closed and asks for its final snapshot; null for an unknown campaign.</summary>
    public async Task<Campaign?> CloseAsync(string campaignId, CancellationToken ct)
    {
        var closed = await campaigns.CloseAsync(campaignId, ct);
        if (closed is null) return null;
        if (closed.FinalizedAt is null) await RequestFinalAsync(campaignId, ct);
        return closed;
    }

    /// <summary>Asks (again) for the final snapshot of a closed campaign.</summary>
    public Task RequestFinalAsync(string campaignId, CancellationToken ct, TimeSpan? after = null) =>
        account.Queue(StorageNames.CloseQueue).SendMessageAsync(
            JsonSerializer.Serialize(new CloseMessage(campaignId), GivingDayJson.Options), visibilityTimeout: after, cancellationToken: ct);
}

/// <summary>The campaign-close queue's message.</summary>
public sealed record CloseMessage(string CampaignId);
