using Azure;
using Azure.Data.Tables;
using GivingDay.Resilience;
using GivingDay.Storage;
using Microsoft.Extensions.Logging;

namespace GivingDay.Ledger;

/// <summary>A counted pledge waiting to be sequenced, with the time it was counted (the source's order).</summary>
public sealed record PendingEntry(LedgerEntry Entry, DateTimeOffset CountedAt);

/// <summary>The ledger after a sequencing call: its size and root, and how many entries this call appended.</summary>
public sealed record SequencedHead(long TreeSize, byte[] Root, int Appended);

/// <summary>Appends entries to a campaign's ledger. Each step is one entity-group transaction (≤ 100 actions) that
/// adds a pledge-id row per entry (so a pledge can never be sequenced twice: a second add fails the whole step),
/// rewrites the tiles the entries extend, and replaces the head under its ETag (so two sequencers cannot both
/// extend the same tree). A step that loses a race, or whose answer is lost, is re-read and recomputed: what was
/// sequenced meanwhile is dropped, the rest goes on top.</summary>
public sealed class LedgerSequencer(LedgerStore store)
{
    private const int MaxActions = 100;
    /// <summary>Marks older than this before the high-water mark are dropped from the head.</summary>
    public static readonly TimeSpan MarkRetention = TimeSpan.FromMinutes(10);

    public async Task<SequencedHead> AppendAsync(string campaignId, IReadOnlyList<PendingEntry> entries, CancellationToken ct)
    {
        await store.EnsureCreatedAsync(ct);
        var pending = entries.DistinctBy(e => e.Entry.PledgeId).ToList();
        var appended = 0;
        // First pass: trust the source that these are new; after a lost race, check each step's pledges first.
        var verify = false;
        long? callStart = null;
        // The head and the tiles it extends, as this call last committed them; null after a lost race: read again.
        (LedgerHead Head, Frontier Frontier)? tree = null;
        var race = store.Pipelines.GetPipeline(StoragePipelines.LostRace);
        while (true)
        {
            // One step, tried again (by the lost-race pipeline) until it commits: another sequencer moved the head, or
            // this step committed but its answer was lost.
            var done = await race.ExecuteAsync(async t =>
            {
                try
                {
                    if (tree is null)
                    {
                        var read = await store.HeadAsync(campaignId, t);
                        callStart ??= read.TreeSize;
                        tree = (read, await Frontier.ReadAsync(store, campaignId, read, t));
                    }
                    if (verify && pending.Count > 0) pending = await DropSequencedAsync(campaignId, pending, t);
                    if (pending.Count == 0) return true;
                    var (next, taken) = await StepAsync(campaignId, tree.Value.Head, tree.Value.Frontier, pending, callStart!.Value, t);
                    tree = (next, tree.Value.Frontier);
                    appended += taken;
                    pending.RemoveRange(0, taken);
                    return false;
                }
                catch (Exception e) when (StoragePipelines.IsLostRace(e))
                {
                    verify = true;
                    tree = null;
                    throw;
                }
            }, ct);
            if (done) break;
        }
        var head = tree?.Head ?? await store.HeadAsync(campaignId, ct);
        return new SequencedHead(head.TreeSize, head.Root, appended);
    }

    private async Task<(LedgerHead Head, int Taken)> StepAsync(string campaignId, LedgerHead head, Frontier frontier, List<PendingEntry> pending, long callStart, CancellationToken ct)
    {
        var dirty = new Dictionary<string, Func<TableEntity>>();
        var actions = new List<TableTransactionAction>();
        var taken = 0;
        var maxCounted = head.Marks.FirstOrDefault(m => m.SizeBefore == callStart)?.MaxCountedAt ?? head.HighWater ?? DateTimeOffset.UnixEpoch;
        // Room for the head, one pledge row per entry, and every tile the entries touch (at most one more per stratum each).
        while (taken < pending.Count && 1 + taken + 1 + dirty.Count + frontier.Strata + 1 <= MaxActions)
        {
            var p = pending[taken];
            frontier.Append(p.Entry, dirty);
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(campaignId, LedgerRows.PledgeIndex(p.Entry.PledgeId)) { ["Index"] = frontier.Size - 1 }));
            if (p.CountedAt > maxCounted) maxCounted = p.CountedAt;
            taken++;
        }
        foreach (var row in dirty.Values) actions.Add(new(TableTransactionActionType.UpsertReplace, row()));

        var highWater = head.HighWater is { } hw && hw > maxCounted ? hw : maxCounted;
        var marks = head.Marks.Where(m => m.SizeBefore != callStart && m.MaxCountedAt >= highWater - MarkRetention)
            .Append(new LedgerMark(callStart, maxCounted)).OrderBy(m => m.SizeBefore).ToList();
        var next = new LedgerHead(frontier.Size, frontier.Root(), highWater, marks, null);
        var headRow = LedgerStore.HeadRow(campaignId, next);
        actions.Insert(0, head.ETag is { } etag
            ? new(TableTransactionActionType.UpdateReplace, headRow, etag)
            : new(TableTransactionActionType.Add, headRow));

        var response = await store.Pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(
            async t => await store.Table.SubmitTransactionAsync(actions, t), ct);
        var newETag = response.Value.Count > 0 && response.Value[0].Headers.ETag is { } e ? e : (await store.HeadAsync(campaignId, ct)).ETag;
        return (next with { ETag = newETag }, taken);
    }

    /// <summary>Drops the pledges that already have a ledger index (point reads, in parallel).</summary>
    private async Task<List<PendingEntry>> DropSequencedAsync(string campaignId, List<PendingEntry> pending, CancellationToken ct)
    {
        // Only the next step's worth is checked now; the rest is checked step by step.
        var window = pending.Take(MaxActions).ToList();
        var sequenced = new HashSet<string>();
        await Parallel.ForEachAsync(window, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (p, t) =>
        {
            if (await store.GetRowAsync(campaignId, LedgerRows.PledgeIndex(p.Entry.PledgeId), t, ["Index"]) is not null)
                lock (sequenced) sequenced.Add(p.Entry.PledgeId);
        });
        return sequenced.Count == 0 ? pending : pending.Where(p => !sequenced.Contains(p.Entry.PledgeId)).ToList();
    }

    /// <summary>The right edge of the tree: for each stratum, the nodes of its last, partial tile (stratum 0 also
    /// the entries), which is all a sequencer needs to append and to compute the new root.</summary>
    internal sealed class Frontier
    {
        private readonly string _campaignId;
        private readonly List<List<byte[]>> _nodes = [];
        private List<string> _entries = [];
        private List<string> _pledgeIds = [];

        public long Size { get; private set; }
        public int Strata => _nodes.Count;

        private Frontier(string campaignId, long size) { _campaignId = campaignId; Size = size; }

        public static async Task<Frontier> ReadAsync(LedgerStore store, string campaignId, LedgerHead head, CancellationToken ct)
        {
            var f = new Frontier(campaignId, head.TreeSize);
            var n = head.TreeSize;
            var strata = 1;
            while ((n >> (LedgerRows.TileBits * strata)) > 0) strata++;
            var reads = Enumerable.Range(0, strata).Select(async s =>
            {
                var count = (int)((n >> (LedgerRows.TileBits * s)) % LedgerRows.TileWidth);
                var tile = n >> (LedgerRows.TileBits * (s + 1));
                if (count == 0) return (s, Row: (TableEntity?)null, count);
                var row = s == 0
                    ? await store.GetRowAsync(campaignId, LedgerRows.EntryTile(tile), ct)
                    : await store.GetRowAsync(campaignId, LedgerRows.HashTile(s, tile), ct);
                return (s, Row: row, count);
            }).ToList();
            foreach (var (s, row, count) in await Task.WhenAll(reads))
            {
                var nodes = row is null ? [] : LedgerStore.Split(row.GetBinary(s == 0 ? "LeafHashes" : "Hashes") ?? []).Take(count).ToList();
                if (nodes.Count != count) throw new InvalidOperationException($"ledger {campaignId}: stratum {s} tile holds {nodes.Count} nodes, head says {count}");
                f._nodes.Add(nodes);
                if (s == 0 && row is not null)
                {
                    f._entries = LedgerStore.EntriesOf(row).Take(count).ToList();
                    f._pledgeIds = LedgerStore.PledgeIdsOf(row).Take(count).ToList();
                }
            }
            return f;
        }

        private long TileOf(int stratum) => Size >> (LedgerRows.TileBits * (stratum + 1));

        /// <summary>Adds one leaf; a tile that fills up adds its subtree hash to the stratum above.
        /// Every tile changed is recorded in <paramref name="dirty"/> by row key, to be written as it is at the end.</summary>
        public void Append(LedgerEntry entry, Dictionary<string, Func<TableEntity>> dirty)
        {
            var json = entry.CanonicalJson();
            var leaf = MerkleTree.LeafHash(System.Text.Encoding.UTF8.GetBytes(json));
            var tile = TileOf(0);
            _entries.Add(json); _pledgeIds.Add(entry.PledgeId); _nodes[0].Add(leaf);
            var (entries, ids, leaves) = (_entries, _pledgeIds, _nodes[0]);
            dirty[LedgerRows.EntryTile(tile)] = () => LedgerStore.EntryTileRow(_campaignId, tile, entries, ids, leaves);
            Size++;
            for (var s = 0; _nodes[s].Count == LedgerRows.TileWidth; s++)
            {
                // The full tile keeps its lists (its dirty row still refers to them); the stratum starts a new one.
                var full = _nodes[s];
                _nodes[s] = [];
                if (s == 0) { _entries = []; _pledgeIds = []; }
                if (_nodes.Count == s + 1) _nodes.Add([]);
                _nodes[s + 1].Add(MerkleTree.Root(full, 0, full.Count));
                var up = _nodes[s + 1];
                var upTile = ((Size >> (LedgerRows.TileBits * (s + 1))) - 1) >> LedgerRows.TileBits;
                var stratum = s + 1;
                dirty[LedgerRows.HashTile(stratum, upTile)] = () => new TableEntity(_campaignId, LedgerRows.HashTile(stratum, upTile)) { ["Hashes"] = LedgerStore.Pack(up) };
            }
        }

        /// <summary>MTH of the whole tree: its perfect subtrees from the largest down, folded from the right.</summary>
        public byte[] Root()
        {
            if (Size == 0) return MerkleTree.EmptyRoot();
            var parts = new List<byte[]>();
            for (var s = _nodes.Count - 1; s >= 0; s--)
            {
                var nodes = _nodes[s];
                var offset = 0;
                for (var bit = LedgerRows.TileBits - 1; bit >= 0; bit--)
                {
                    var width = 1 << bit;
                    if ((nodes.Count & width) == 0) continue;
                    parts.Add(MerkleTree.Root(nodes, offset, width));
                    offset += width;
                }
            }
            var root = parts[^1];
            for (var i = parts.Count - 2; i >= 0; i--) root = MerkleTree.NodeHash(parts[i], root);
            return root;
        }
    }
}
