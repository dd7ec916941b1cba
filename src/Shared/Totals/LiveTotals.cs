using System.Collections.Concurrent;
using Azure.Data.Tables;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Totals;

/// <summary>The live totals as readers see them: one storage read per campaign per <see cref="Freshness"/>
/// on each instance, however many pollers ask. The version is the totals row's ETag, so unchanged totals
/// keep the same leaderboard ETag and pollers get 304.</summary>
public sealed class LiveTotals(StorageAccount account, ResiliencePipelineProvider<string> pipelines, TimeProvider clock)
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
    public async Task<Reading> ReadAsync(string campaignId)
    {
        var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
            (await _ledger.GetEntityIfExistsAsync<TableEntity>(campaignId, LedgerKeys.State, cancellationToken: t)) is { HasValue: true } r ? r.Value : null);
        var (state, etag) = TotalsState.FromRow(row);
        return new Reading(state, etag?.ToString() ?? "empty", clock.GetUtcNow());
    }
}
