using System.Collections.Concurrent;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Pledges;
using GivingDay.Totals;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Ledger;

/// <summary>Where a tick finds newly counted pledges: by scanning counted pledge rows (works with counting as it is),
/// or from sequencing markers that counting writes in its own transaction (cheaper: see <see cref="LedgerMarkers"/>).</summary>
public enum LedgerSourceMode { Scan, Markers }

/// <summary>What a tick found: the entries to sequence, in order, and the markers to delete once they are sequenced.</summary>
public sealed record LedgerPending(IReadOnlyList<PendingEntry> Entries, IReadOnlyList<TableEntity> Markers);

/// <summary>The sequencing marker: one row per counting step, in the <c>ledger</c> table's campaign partition, added in
/// the counting transaction beside the pledges it counts, holding their ledger entries (canonical JSON, one per line).
/// The ledger tick reads the <c>s|</c> range, sequences the entries and deletes the markers.</summary>
public static class LedgerMarkers
{
    public const string Prefix = "s|";
    public const string End = "s}";

    public static TableEntity Row(string campaignId, DateTimeOffset countedAt, IEnumerable<LedgerEntry> entries) =>
        new(campaignId, $"{Prefix}{countedAt.UtcTicks:D19}|{Guid.NewGuid():N}")
        {
            ["Entries"] = string.Join('\n', entries.Select(e => e.CanonicalJson())),
        };

    public static DateTimeOffset CountedAtOf(TableEntity marker) =>
        new(long.Parse(marker.RowKey.AsSpan(Prefix.Length, 19), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero);

    public static IEnumerable<LedgerEntry> EntriesOf(TableEntity marker) =>
        marker.GetString("Entries") is { Length: > 0 } text ? text.Split('\n').Select(e => LedgerEntry.Parse(e)) : [];
}

/// <summary>Finds a campaign's counted pledges that are not in its public ledger yet, in sequencing order.
/// <para>Scan mode (counting as it is today): a tick looks at pledge rows counted since a little before the ledger's
/// high-water mark (counting stamps countedAt before its transaction commits, and instances' clocks differ), and
/// leaves out those among them already sequenced, known from the ledger's recent entries; order: countedAt,
/// acceptedAt, pledge id. A full sweep looks at every counted pledge: for the final checkpoint, and now and then as
/// a safety net.</para>
/// <para>Markers mode: a tick reads the markers counting wrote (order: marker key, then position), no scan; a full
/// sweep also scans, for pledges counted before counting wrote markers.</para>
/// Whatever is found twice is still sequenced once: the sequencer refuses a pledge id it has. A sharded campaign's
/// markers and pledge rows are read from each of its shards' partitions.</summary>
public sealed class LedgerSource(StorageAccount account, LedgerStore store, ResiliencePipelineProvider<string> pipelines, LedgerOptions options, CampaignStore campaigns)
{
    /// <summary>How far before the high-water mark a tick looks again. Less than <see cref="LedgerSequencer.MarkRetention"/>.</summary>
    public static readonly TimeSpan LookBack = TimeSpan.FromSeconds(30);

    private static readonly string[] Columns =
        ["RowKey", "ProjectId", "Amount", "MaskedName", "Channel", "AcceptedAt", "Counted", "Matched", "FundId", "CountedAt"];

    private readonly TableClient _pledges = account.Table(StorageNames.LedgerTable);
    // Pledge ids by ledger index from some index on, per campaign: entries never change, so what was read once stays true.
    private readonly ConcurrentDictionary<string, SequencedIds> _sequenced = new();

    private sealed class SequencedIds
    {
        public long Start;
        public List<string> Ids = [];
        public long End => Start + Ids.Count;
    }

    public async Task<LedgerPending> PendingAsync(string campaignId, bool fullSweep, CancellationToken ct)
    {
        var markers = options.Source == LedgerSourceMode.Markers ? await MarkersAsync(campaignId, ct) : [];
        var fromMarkers = markers.SelectMany(m => LedgerMarkers.EntriesOf(m).Select(e => new PendingEntry(e, LedgerMarkers.CountedAtOf(m)))).ToList();
        if (options.Source == LedgerSourceMode.Markers && !fullSweep) return new LedgerPending(fromMarkers, markers);
        var scanned = await ScanAsync(campaignId, fullSweep, ct);
        return new LedgerPending(fromMarkers.Concat(scanned).DistinctBy(p => p.Entry.PledgeId).ToList(), markers);
    }

    /// <summary>Deletes markers whose entries are sequenced (a marker already gone is fine), each in its own shard.</summary>
    public async Task AcknowledgeAsync(string campaignId, IReadOnlyList<TableEntity> markers, CancellationToken ct)
    {
        foreach (var shard in markers.GroupBy(m => m.PartitionKey)) await AcknowledgeInAsync(shard.Key, shard.ToList(), ct);
    }

    private async Task AcknowledgeInAsync(string partition, IReadOnlyList<TableEntity> markers, CancellationToken ct)
    {
        var pipeline = pipelines.GetPipeline(StoragePipelines.Storage);
        foreach (var chunk in markers.Chunk(100))
        {
            try
            {
                await pipeline.ExecuteAsync(async t => await _pledges.SubmitTransactionAsync(
                    chunk.Select(m => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, m.RowKey), Azure.ETag.All)), t), ct);
            }
            catch (Exception e) when (e is Azure.RequestFailedException { Status: 404 } || TransactionReplies.IsUnreadableFailure(e))
            {
                foreach (var m in chunk)
                    try { await pipeline.ExecuteAsync(async t => await _pledges.DeleteEntityAsync(partition, m.RowKey, Azure.ETag.All, t), ct); }
                    catch (Azure.RequestFailedException gone) when (gone.Status == 404) { }
            }
        }
    }

    private async Task<int> ShardsAsync(string campaignId, CancellationToken ct) => (await campaigns.GetAsync(campaignId, ct))?.Shards ?? 1;

    /// <summary>The markers of every shard, in key order (counting time first), so shards' steps interleave by time.</summary>
    private async Task<List<TableEntity>> MarkersAsync(string campaignId, CancellationToken ct)
    {
        var rows = await ShardLayout.QueryAsync(_pledges, pipelines.GetPipeline(StoragePipelines.Storage), campaignId, await ShardsAsync(campaignId, ct),
            partition => TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {LedgerMarkers.Prefix} and RowKey lt {LedgerMarkers.End}"), null, ct);
        return rows.OrderBy(r => r.RowKey, StringComparer.Ordinal).ThenBy(r => r.PartitionKey, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<PendingEntry>> ScanAsync(string campaignId, bool fullSweep, CancellationToken ct)
    {
        var head = await store.HeadAsync(campaignId, ct);
        DateTimeOffset? since = fullSweep || head.HighWater is null ? null : head.HighWater.Value - LookBack;
        var from = since is { } s ? head.TailStartFor(s) : 0;
        var sequencedTask = SequencedFromAsync(campaignId, from, head.TreeSize, ct);
        var countedTask = CountedAsync(campaignId, since, ct);
        await Task.WhenAll(sequencedTask, countedTask);
        var sequenced = sequencedTask.Result;
        return countedTask.Result
            .Where(p => !sequenced.Contains(p.Entry.PledgeId))
            .OrderBy(p => p.CountedAt).ThenBy(p => p.Entry.AcceptedAt).ThenBy(p => p.Entry.PledgeId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Counted pledge rows, all or those counted at or after <paramref name="since"/>.</summary>
    private async Task<List<PendingEntry>> CountedAsync(string campaignId, DateTimeOffset? since, CancellationToken ct)
    {
        var rows = await ShardLayout.QueryAsync(_pledges, pipelines.GetPipeline(StoragePipelines.Storage), campaignId, await ShardsAsync(campaignId, ct),
            partition => since is { } at
                ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {LedgerKeys.PledgePrefix} and RowKey lt {LedgerKeys.PledgeEnd} and Counted eq {true} and CountedAt ge {at}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {LedgerKeys.PledgePrefix} and RowKey lt {LedgerKeys.PledgeEnd} and Counted eq {true}"),
            ["PartitionKey", .. Columns], ct);
        return rows.Select(PledgeRows.FromRow).Select(p => new PendingEntry(LedgerEntry.From(p), p.CountedAt ?? DateTimeOffset.MinValue)).ToList();
    }

    /// <summary>The pledge ids at ledger indexes <paramref name="from"/> and above (at least up to <paramref name="size"/>),
    /// reading only the entry rows not read before.</summary>
    private async Task<HashSet<string>> SequencedFromAsync(string campaignId, long from, long size, CancellationToken ct)
    {
        if (from >= size) return [];
        var known = _sequenced.GetOrAdd(campaignId, _ => new SequencedIds());
        lock (known)
        {
            if (known.Start > from || known.End < from) { known.Start = from - from % LedgerRows.TileWidth; known.Ids = []; }
        }
        long readFrom;
        lock (known) readFrom = known.End;
        if (readFrom < size)
        {
            var firstTile = readFrom / LedgerRows.TileWidth;
            var rows = await store.EntryTilesAsync(campaignId, firstTile, (size - 1) / LedgerRows.TileWidth, ct, ["PledgeIds"]);
            lock (known)
            {
                if (known.End == readFrom)
                    foreach (var (tile, row) in rows)
                    {
                        var tileStart = tile * LedgerRows.TileWidth;
                        var ids = LedgerStore.PledgeIdsOf(row);
                        for (var i = 0; i < ids.Length; i++)
                            if (tileStart + i == known.End) known.Ids.Add(ids[i]);
                    }
            }
        }
        lock (known)
        {
            var skip = (int)Math.Max(0, from - known.Start);
            return known.Ids.Skip(skip).ToHashSet();
        }
    }
}
