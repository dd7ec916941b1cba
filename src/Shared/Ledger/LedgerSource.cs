using System.Collections.Concurrent;
using Azure.Data.Tables;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Ledger;

/// <summary>Finds a campaign's counted pledges that are not in its public ledger yet, in sequencing order (countedAt,
/// then acceptedAt, then pledge id). A tick looks at pledge rows counted since a little before the ledger's
/// high-water mark (counting stamps countedAt before its transaction commits, and instances' clocks differ), and
/// leaves out those among them already sequenced, known from the ledger's recent entries. A full sweep looks at
/// every counted pledge: for the final checkpoint, and now and then as a safety net.</summary>
public sealed class LedgerSource(StorageAccount account, LedgerStore store, ResiliencePipelineProvider<string> pipelines)
{
    /// <summary>How far before the high-water mark a tick looks again. Less than <see cref="LedgerSequencer.MarkRetention"/>.</summary>
    public static readonly TimeSpan LookBack = TimeSpan.FromMinutes(2);

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

    public async Task<IReadOnlyList<PendingEntry>> PendingAsync(string campaignId, bool fullSweep, CancellationToken ct)
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
        var filter = since is { } at
            ? TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {LedgerKeys.PledgePrefix} and RowKey lt {"p}"} and Counted eq {true} and CountedAt ge {at}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {LedgerKeys.PledgePrefix} and RowKey lt {"p}"} and Counted eq {true}");
        return await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
        {
            var found = new List<PendingEntry>();
            await foreach (var row in _pledges.QueryAsync<TableEntity>(filter, select: Columns, cancellationToken: t))
            {
                var pledge = PledgeRows.FromRow(row);
                found.Add(new PendingEntry(LedgerEntry.From(pledge), pledge.CountedAt ?? DateTimeOffset.MinValue));
            }
            return found;
        }, ct);
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
