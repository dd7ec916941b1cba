using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Json;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Campaigns;

/// <summary>Campaign definitions in the <c>campaigns</c> table (PK "c", RK campaign id), with a short
/// per-instance cache: intake and the leaderboard read a campaign many times a second.</summary>
public sealed class CampaignStore(StorageAccount account, ResiliencePipelineProvider<string> pipelines, TimeProvider clock)
{
    public const string Partition = "c";
    /// <summary>How stale a cached definition may be for reads that tolerate it (pages, leaderboard).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly TableClient _table = account.Table(StorageNames.CampaignsTable);
    // One read per campaign per CacheFor, however many requests ask at once: a poll storm on an expired entry shares
    // the read that the first of them started (the Lazy keeps AddOrUpdate's losing factories from reading too).
    private readonly ConcurrentDictionary<string, (Lazy<Task<Campaign?>> Read, DateTimeOffset At)> _cache = new();

    public async Task<Campaign?> GetAsync(string id, CancellationToken ct, bool fresh = false)
    {
        var now = clock.GetUtcNow();
        var entry = _cache.AddOrUpdate(id,
            _ => (new Lazy<Task<Campaign?>>(() => ReadAsync(id)), now),
            (_, old) => !fresh && now - old.At < CacheFor && !old.Read.Value.IsFaulted && !old.Read.Value.IsCanceled
                ? old : (new Lazy<Task<Campaign?>>(() => ReadAsync(id)), now));
        return await entry.Read.Value.WaitAsync(ct);
    }

    // Shared by every caller of one cache entry, so no caller's cancellation may end it.
    private Task<Campaign?> ReadAsync(string id) =>
        pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async token =>
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: token);
            return row.HasValue ? FromRow(row.Value!) : null;
        }, CancellationToken.None).AsTask();

    public async Task<IReadOnlyList<Campaign>> ListAsync(CancellationToken ct) =>
        await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async token =>
        {
            var list = new List<Campaign>();
            await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: token))
                list.Add(FromRow(row));
            return list;
        }, ct);

    /// <summary>Writes a definition, keeping ClosedAt/FinalizedAt. Returns true when it was created.</summary>
    public async Task<bool> PutAsync(Campaign campaign, CancellationToken ct)
    {
        var created = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async token =>
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, campaign.Id, cancellationToken: token);
            var row = ToRow(campaign with { ClosedAt = null, FinalizedAt = null });
            if (existing.HasValue)
            {
                var old = FromRow(existing.Value!);
                row = ToRow(campaign with { ClosedAt = old.ClosedAt, FinalizedAt = old.FinalizedAt });
                try { await _table.UpdateEntityAsync(row, existing.Value!.ETag, TableUpdateMode.Replace, token); }
                catch (RequestFailedException e) when (e.Status == 412) { throw new ConcurrentCampaignChangeException(); }
                return false;
            }
            try { await _table.AddEntityAsync(row, token); return true; }
            catch (RequestFailedException e) when (e.Status == 409) { throw new ConcurrentCampaignChangeException(); }
        }, ct);
        _cache.TryRemove(campaign.Id, out _);
        return created;
    }

    /// <summary>Marks the campaign closed (once); returns the campaign as closed.</summary>
    public Task<Campaign?> CloseAsync(string id, CancellationToken ct) =>
        Change(id, c => c.ClosedAt is null ? c with { ClosedAt = clock.GetUtcNow() } : null, ct);

    public Task<Campaign?> MarkFinalizedAsync(string id, CancellationToken ct) =>
        Change(id, c => c.FinalizedAt is null ? c with { FinalizedAt = clock.GetUtcNow(), ClosedAt = c.ClosedAt ?? clock.GetUtcNow() } : null, ct);

    /// <summary>Read, change, write under the read's ETag; a write that lost to another is read again (lost-race pipeline).</summary>
    private async Task<Campaign?> Change(string id, Func<Campaign, Campaign?> change, CancellationToken ct)
    {
        var storage = pipelines.GetPipeline(StoragePipelines.Storage);
        var result = await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async token =>
        {
            var existing = await storage.ExecuteAsync(async t => await _table.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: t), token);
            if (!existing.HasValue) return null;
            var current = FromRow(existing.Value!);
            var changed = change(current);
            if (changed is null) return current;
            await storage.ExecuteAsync(async t => await _table.UpdateEntityAsync(ToRow(changed), existing.Value!.ETag, TableUpdateMode.Replace, t), token);
            return changed;
        }, ct);
        _cache.TryRemove(id, out _);
        return result;
    }

    private static TableEntity ToRow(Campaign c) => new(Partition, c.Id)
    {
        ["Definition"] = JsonSerializer.Serialize(c, GivingDayJson.Options),
    };

    private static Campaign FromRow(TableEntity row) =>
        JsonSerializer.Deserialize<Campaign>(row.GetString("Definition"), GivingDayJson.Options)!;
}

/// <summary>Two organisers created or replaced the same campaign at once; the caller may retry.</summary>
public sealed class ConcurrentCampaignChangeException() : Exception("the campaign was changed concurrently; retry");
