using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Totals;

/// <summary>The live totals as readers see them: one storage read per campaign per <see cref="Freshness"/>
/// on each instance, however many pollers ask. The version is the totals row's ETag, so unchanged totals
/// keep the same leaderboard ETag and pollers get 304. A sharded campaign's totals are the sum of its shards' rows (each
/// shard's lanes), read at once, and the version is a hash of their ETags.</summary>
public sealed class LiveTotals(StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(500);

    public sealed record Reading(TotalsState State, string Version, DateTimeOffset ReadAt);

    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);
    private readonly ConcurrentDictionary<string, Task<Reading>> _readings = new();

    public async Task<Reading> GetAsync(string campaignId, CancellationToken ct)
    {
        var current = _readings.GetOrAdd(campaignId, ReadAsync);
        if (!current.IsCompleted) return await current.WaitAsync(ct);
        if (current.IsCompletedSuccessfully && clock.GetUtcNow() - current.Result.ReadAt < Freshness) return current.Result;
        // Stale or failed: whoever swaps in the next read starts it; the others share the one that won.
        var start = new Task<Task<Reading>>(() => ReadAsync(campaignId));
        var next = start.Unwrap();
        if (_readings.TryUpdate(campaignId, next, current)) start.Start(TaskScheduler.Default);
        else next = _readings.GetOrAdd(campaignId, ReadAsync);
        return await next.WaitAsync(ct);
    }

    /// <summary>Reads now, bypassing the cache (snapshots and close need the latest figures).</summary>
    public async Task<Reading> ReadAsync(string campaignId) =>
        await ReadAsync(campaignId, (await campaigns.GetAsync(campaignId, CancellationToken.None))?.Shards ?? 1);

    /// <summary>Reads now the totals rows of <paramref name="shards"/> shards (an organiser's edit reads those of the stored definition).</summary>
    public async Task<Reading> ReadAsync(string campaignId, int shards)
    {
        var read = pipelines.GetPipeline(StoragePipelines.Storage);
        var rows = await Task.WhenAll(ShardLayout.TotalsRows(campaignId, shards).Select(r => TotalsState.ReadAsync(_ledger, read, r.Partition, CancellationToken.None, r.Lane)));
        var version = rows.Length == 1 ? rows[0].ETag?.ToString() ?? "empty"
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', rows.Select(r => r.ETag?.ToString() ?? "empty")))))[..32];
        return new Reading(TotalsState.Sum(rows.Select(r => r.State).ToList()), version, clock.GetUtcNow());
    }
}
