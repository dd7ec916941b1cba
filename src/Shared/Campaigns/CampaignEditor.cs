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
    /// <summary>A dry run passed every rule of a real edit; nothing was written.</summary>
    public sealed record Previewed(bool Created, IReadOnlyList<CampaignChange> Changes) : EditOutcome;
}

/// <summary>Creates or replaces a campaign definition. A one-shard campaign's fund pools are written into its totals row
/// under its ETag, in the same partition the counting steps commit to, so a pool is never set below what has
/// been matched, even while pledges are being counted. A sharded campaign's pools are in its fund row
/// (<see cref="FundAllotments"/>), never set below what the shards hold. The shard count is fixed once the campaign has
/// started or has a gift: pledges already stored stay in the shard their donor was placed in.</summary>
public sealed class CampaignEditor(StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, LiveTotals totals,
    FundAllotments allotments, TimeProvider clock)
{
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    /// <summary>With <paramref name="dryRun"/>, every rule is checked as for a real edit against the same stored figures,
    /// and what would change is answered instead of written.</summary>
    public async Task<EditOutcome> PutAsync(Campaign definition, CancellationToken ct, bool dryRun = false)
    {
        var existing = await campaigns.GetAsync(definition.Id, ct, fresh: true);
        if (definition.Shards == CampaignDefinition.KeepShards) definition = definition with { Shards = existing?.Shards ?? ShardLayout.Default };
        if (existing is not null && existing.StatusAt(clock.GetUtcNow()) is CampaignStatus.Closed or CampaignStatus.Finalized && existing.ClosedAt is not null)
            return new EditOutcome.Closed();

        if (existing is not null && existing.Shards != definition.Shards
            && (existing.StatusAt(clock.GetUtcNow()) != CampaignStatus.Draft
                || await ShardLayout.AnyAsync(_ledger, pipelines.GetPipeline(StoragePipelines.Storage), existing.Id, existing.Shards, LedgerKeys.PledgePrefix, LedgerKeys.PledgeEnd, ct)))
        {
            var fixedShards = new ValidationErrors();
            fixedShards.Add("shards", "shards.fixed", existing.Shards);
            return new EditOutcome.Invalid(fixedShards);
        }
        if (definition.Shards > 1) return await PutShardedAsync(existing, definition, ct, dryRun);

        // Read the totals, check the pools against them, write the pools under the read's ETag; a counting step that
        // committed in between makes the write fail, and the lost-race pipeline checks against the new figures.
        var storage = pipelines.GetPipeline(StoragePipelines.Storage);
        var stopped = await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync<EditOutcome?>(async token =>
        {
            var (state, etag) = await TotalsState.ReadAsync(_ledger, storage, definition.Id, token);
            var errors = Conflicts(definition, state);
            if (!errors.IsEmpty) return new EditOutcome.Invalid(errors);
            if (dryRun) return new EditOutcome.Previewed(existing is null, CampaignChanges.Between(existing, definition));
            state.FundPools = definition.MatchingFunds.ToDictionary(f => f.Id, f => f.Pool.Fen);
            await state.WriteAsync(_ledger, storage, definition.Id, etag, token);
            return null;
        }, ct);
        if (stopped is not null) return stopped;

        var created = await campaigns.PutAsync(definition, ct);
        return new EditOutcome.Saved((await campaigns.GetAsync(definition.Id, ct, fresh: true))!, created);
    }

    /// <summary>A sharded campaign: the rules against the sum of its shards' figures; the pools into its fund row, which
    /// refuses a pool below what the shards hold (after reclaiming what they hold unused).</summary>
    private async Task<EditOutcome> PutShardedAsync(Campaign? existing, Campaign definition, CancellationToken ct, bool dryRun)
    {
        var state = (await totals.ReadAsync(definition.Id, existing?.Shards ?? definition.Shards)).State;
        var errors = Conflicts(definition, state);
        if (!errors.IsEmpty) return new EditOutcome.Invalid(errors);
        if (dryRun) return new EditOutcome.Previewed(existing is null, CampaignChanges.Between(existing, definition));
        if (await allotments.SetPoolsAsync(definition.Id, definition.MatchingFunds, ct) is { } below)
        {
            errors.Add($"matchingFunds[{below.Index}].pool", "pool.below_reserved", new Money(below.Reserved), new Money(state.Used(definition.MatchingFunds[below.Index].Id)));
            return new EditOutcome.Invalid(errors);
        }
        var created = await campaigns.PutAsync(definition, ct);
        return new EditOutcome.Saved((await campaigns.GetAsync(definition.Id, ct, fresh: true))!, created);
    }

    /// <summary>What the stored figures forbid: a pool below what it matched, removing a fund that matched or a project
    /// with counted gifts.</summary>
    private static ValidationErrors Conflicts(Campaign definition, TotalsState state)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < definition.MatchingFunds.Count; i++)
        {
            var fund = definition.MatchingFunds[i];
            if (fund.Pool.Fen < state.Used(fund.Id))
                errors.Add($"matchingFunds[{i}].pool", "pool.below_matched", new Money(state.Used(fund.Id)));
        }
        foreach (var (fundId, used) in state.FundUsed.Where(u => u.Value > 0))
            if (definition.MatchingFunds.All(f => f.Id != fundId))
                errors.Add("matchingFunds", "matchingFunds.fund_in_use", fundId, new Money(used));
        // The books stay whole: a project with counted gifts keeps its id (its name, goal and story may change).
        foreach (var (projectId, figures) in state.Projects.Where(p => p.Value.Pledges > 0).OrderBy(p => p.Key, StringComparer.Ordinal))
            if (definition.Projects.All(p => p.Id != projectId))
                errors.Add("projects", "projects.project_in_use", projectId, figures.Pledges, new Money(figures.Raised));
        return errors;
    }
}
