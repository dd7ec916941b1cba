namespace GivingDay.Ledger;

/// <summary>What the snapshot timer does for the ledger each tick, per live or closing campaign: sequence what was
/// counted since the last tick, then publish a signed checkpoint of the new head (none when nothing changed).
/// The final snapshot calls it with a full sweep, once every accepted pledge is counted, and carries the checkpoint.</summary>
public sealed class LedgerTick(LedgerSource source, LedgerSequencer sequencer, CheckpointSigner signer, CheckpointStore checkpoints)
{
    public async Task<Checkpoint?> RunAsync(string campaignId, CancellationToken ct, bool fullSweep = false)
    {
        var pending = await source.PendingAsync(campaignId, fullSweep, ct);
        var head = await sequencer.AppendAsync(campaignId, pending.Entries, ct);
        await source.AcknowledgeAsync(campaignId, pending.Markers, ct);
        if (head.TreeSize == 0) return null;
        var latest = await checkpoints.LatestAsync(campaignId, ct);
        if (latest is not null && latest.TreeSize >= head.TreeSize) return latest;
        return await checkpoints.PublishAsync(await signer.SignAsync(campaignId, head.TreeSize, head.Root, ct), ct);
    }
}
