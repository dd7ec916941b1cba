using Azure;
using Azure.Data.Tables;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Totals;
using GivingDay.Validation;
using Polly.Registry;
using GivingDay.Amounts;

namespace GivingDay.Campaigns;

public abstract record EditOutcome
{
    public sealed record Saved(Campaign Campaign, bool Created) : EditOutcome;
    public sealed record Invalid(ValidationErrors Errors) : EditOutcome;
    public sealed record Closed : EditOutcome;
}

/// <summary>Creates or replaces a campaign definition. Fund pools are written into the campaign's totals row
/// under its ETag, in the same partition the counting steps commit to, so a pool is never set below what has
/// been matched, even while pledges are being counted.</summary>
public sealed class CampaignEditor(StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, TimeProvider clock)
{
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    public async Task<EditOutcome> PutAsync(Campaign definition, CancellationToken ct)
    {
        var existing = await campaigns.GetAsync(definition.Id, ct, fresh: true);
        if (existing is not null && existing.StatusAt(clock.GetUtcNow()) is CampaignStatus.Closed or CampaignStatus.Finalized && existing.ClosedAt is not null)
            return new EditOutcome.Closed();

        // Read the totals, check the pools against them, write the pools under the read's ETag; a counting step that
        // committed in between makes the write fail, and the lost-race pipeline checks against the new figures.
        var storage = pipelines.GetPipeline(StoragePipelines.Storage);
        var invalid = await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async token =>
        {
            var row = await storage.ExecuteAsync(async t =>
                (await _ledger.GetEntityIfExistsAsync<TableEntity>(definition.Id, LedgerKeys.State, cancellationToken: t)) is { HasValue: true } r ? r.Value : null, token);
            var (state, etag) = TotalsState.FromRow(row);
            var errors = PoolErrors(definition, state);
            if (!errors.IsEmpty) return errors;
            state.FundPools = definition.MatchingFunds.ToDictionary(f => f.Id, f => f.Pool.Fen);
            await storage.ExecuteAsync(async t =>
            {
                if (etag is { } e) await _ledger.UpdateEntityAsync(state.ToRow(definition.Id), e, TableUpdateMode.Replace, t);
                else await _ledger.AddEntityAsync(state.ToRow(definition.Id), t);
            }, token);
            return null;
        }, ct);
        if (invalid is not null) return new EditOutcome.Invalid(invalid);

        var created = await campaigns.PutAsync(definition, ct);
        return new EditOutcome.Saved((await campaigns.GetAsync(definition.Id, ct, fresh: true))!, created);
    }

    /// <summary>What the definition may not change given the counted figures: pools below what they matched, funds or
    /// projects that have counted gifts removed.</summary>
    private static ValidationErrors PoolErrors(Campaign definition, TotalsState state)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < definition.MatchingFunds.Count; i++)
        {
            var fund = definition.MatchingFunds[i];
            if (fund.Pool.Fen < state.Used(fund.Id))
                errors.Add($"matchingFunds[{i}].pool", $"cannot be below the {state.Used(fund.Id)} fen already matched from it");
        }
        foreach (var (fundId, used) in state.FundUsed.Where(u => u.Value > 0))
            if (definition.MatchingFunds.All(f => f.Id != fundId))
                errors.Add("matchingFunds", $"fund '{fundId}' has matched {used} fen and cannot be removed");
        // The books stay whole: a project with counted gifts keeps its id (its name, goal and story may change).
        foreach (var (projectId, figures) in state.Projects.Where(p => p.Value.Pledges > 0).OrderBy(p => p.Key, StringComparer.Ordinal))
            if (definition.Projects.All(p => p.Id != projectId))
                errors.Add("projects", $"project '{projectId}' has {figures.Pledges} counted gifts (¥{new Money(figures.Raised)}) and cannot be removed or renamed by id");
        return errors;
    }
}
