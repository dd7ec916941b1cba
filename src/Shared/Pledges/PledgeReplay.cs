using Azure.Data.Tables;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Pledges;

/// <summary>An Idempotency-Key replay once the campaign no longer takes pledges (closed, finalized, past its end): the
/// pledge stored under that key is still the answer, so a donor's retry is never told a counted gift failed.</summary>
public sealed class PledgeReplay(StorageAccount account, ResiliencePipelineProvider<string> pipelines)
{
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    /// <summary>Accepted (the same body was stored), KeyReused (another body was), or null (nothing under this id).</summary>
    public async Task<IntakeOutcome?> FindAsync(Pledge pledge, CancellationToken ct)
    {
        var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
            await _ledger.GetEntityIfExistsAsync<TableEntity>(pledge.CampaignId, LedgerKeys.Pledge(pledge.Id), cancellationToken: t), ct);
        if (!row.HasValue) return null;
        var stored = PledgeRows.FromRow(row.Value!).Pledge;
        return stored.Fingerprint == pledge.Fingerprint ? new IntakeOutcome.Accepted(stored) : new IntakeOutcome.KeyReused();
    }
}
