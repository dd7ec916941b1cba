using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Totals;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Polly.Registry;

namespace GivingDay.Pledges;

/// <summary>Closes the gap between storing a pledge and queueing it: pledges whose outbox marker is older
/// than <see cref="LeftFor"/> are queued again. Counting deletes the marker in its transaction, so a pledge
/// queued twice is still counted once.</summary>
public sealed class PledgeRedrive(StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, TimeProvider clock,
    IOptions<RedriveOptions> options, ILogger<PledgeRedrive> log)
{
    public static readonly TimeSpan LeftFor = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _leftFor = options.Value.StaleAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : LeftFor;
    /// <summary>While the queue has a backlog (messages visible, waiting to be taken), markers that old may simply be
    /// waiting their turn: only markers older than this are queued again then (re-queueing a backlog would only grow
    /// it). Messages taken and invisible are no backlog: one held by a host that stopped while counting it stays
    /// invisible until its lease runs out (the WebJobs queue listener takes messages for 10 minutes), and its pledges
    /// are queued again after <see cref="LeftFor"/> like any others.</summary>
    public static readonly TimeSpan LeftForUnderBacklog = TimeSpan.FromMinutes(5);
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);
    /// <summary>Markers found stale by the last call while messages were being counted (taken, invisible), with their ETags.</summary>
    private Dictionary<string, Azure.ETag> _seenInFlight = new(StringComparer.Ordinal);
    private static string SeenKey(TableEntity marker) => marker.PartitionKey + "/" + marker.RowKey;

    /// <summary>Queues every pledge left uncounted for longer than <paramref name="olderThan"/> (by its marker's
    /// last change); returns how many pledges.
    /// <para>Without <paramref name="olderThan"/> (the timer): while the queue has messages being counted and none waiting,
    /// a stale marker is queued again only when the call before found it stale too, unchanged (the same ETag). A backlog
    /// older than the window (counting fell behind by more than that) is then all in flight as counting catches up, and
    /// queueing it again would only make counting meet each pledge twice; a marker whose message a stopped host holds
    /// still goes again one tick later.</para></summary>
    public async Task<int> RequeueStaleAsync(CancellationToken ct, TimeSpan? olderThan = null)
    {
        var read = pipelines.GetPipeline(StoragePipelines.Storage);
        var queue = account.Queue(StorageNames.PledgeQueue);
        var inFlight = false;
        if (olderThan is null)
        {
            var waiting = (await read.ExecuteAsync(async t => await queue.PeekMessageAsync(t), ct)).Value is not null;
            olderThan = waiting ? LeftForUnderBacklog : _leftFor;
            // Nothing visible: a count above zero is messages taken and being counted (or held by a host that stopped).
            inFlight = !waiting && (await read.ExecuteAsync(async t => await queue.GetPropertiesAsync(t), ct)).Value.ApproximateMessagesCount > 0;
        }
        var before = clock.GetUtcNow() - olderThan.Value;
        // The markers of each campaign not finalized yet (a finalized campaign has none: its final snapshot waited for every
        // marker to go), a range in each of its shards' partitions. Not one query over the whole table: without a partition
        // Azure scans every row of every campaign, and that grows for as long as the app runs.
        var open = (await campaigns.ListAsync(ct)).Where(c => c.FinalizedAt is null).ToList();
        var stale = new List<TableEntity>();
        await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (c, token) =>
        {
            var rows = await ShardLayout.QueryAsync(_ledger, read, c.Id, c.Shards,
                partition => TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {LedgerKeys.MarkerPrefix} and RowKey lt {LedgerKeys.MarkerEnd} and Timestamp lt {before}"),
                ["PartitionKey", "RowKey", "Pledges"], token);
            lock (stale) stale.AddRange(rows);
        });

        var seenBefore = _seenInFlight;
        _seenInFlight = inFlight ? stale.ToDictionary(SeenKey, m => m.ETag, StringComparer.Ordinal) : new(StringComparer.Ordinal);
        if (inFlight) stale = stale.Where(m => seenBefore.TryGetValue(SeenKey(m), out var etag) && etag == m.ETag).ToList();

        var requeued = 0;
        foreach (var marker in stale)
        {
            // The marker's pledge rows, read at once.
            var rows = await Task.WhenAll(PledgeRows.MarkedPledges(marker).Select(id => read.ExecuteAsync(async t =>
                await _ledger.GetEntityIfExistsAsync<TableEntity>(marker.PartitionKey, LedgerKeys.Pledge(id), cancellationToken: t), ct).AsTask()));
            var pledges = rows.Where(r => r.HasValue).Select(r => PledgeRows.FromRow(r.Value!).Pledge).ToList();
            if (pledges.Count == 0) continue;
            // With the marker's ETag as read: if counting shortened it since, the step fails and reads it again.
            var text = JsonSerializer.Serialize(new PledgeBatchMessage(ShardLayout.CampaignOf(marker.PartitionKey), pledges,
                new MarkerRef(marker.RowKey[LedgerKeys.MarkerPrefix.Length..], marker.ETag.ToString()), Shard: ShardLayout.ShardOf(marker.PartitionKey)), GivingDayJson.Options);
            await pipelines.GetPipeline(StoragePipelines.IntakeEnqueue).ExecuteAsync(async t => await queue.SendMessageAsync(text, t), ct);
            requeued += pledges.Count;
            // Queued again: its new message is now in flight, so it waits two more ticks before it could go a third time.
            _seenInFlight.Remove(SeenKey(marker));
            log.LogInformation("Re-drive queued {Count} pledges of {Campaign} left uncounted", pledges.Count, ShardLayout.CampaignOf(marker.PartitionKey));
        }
        return requeued;
    }
}

/// <summary>Redrive:StaleAfterSeconds overrides <see cref="PledgeRedrive.LeftFor"/> (a test, or a very quiet deployment).</summary>
public sealed class RedriveOptions
{
    public const string Section = "Redrive";
    public double? StaleAfterSeconds { get; set; }
}
