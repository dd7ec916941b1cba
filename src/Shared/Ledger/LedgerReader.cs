using System.Collections.Concurrent;

namespace GivingDay.Ledger;

/// <summary>Everything the public ledger routes read. The published ledger is what the latest checkpoint covers:
/// entries sequenced after it are not shown, nor proven, until the next checkpoint. Proofs read O(log n) tiles,
/// and tiles, indexes and checkpoints are cached (none changes once written), so a warm reader mostly computes.</summary>
public sealed class LedgerReader(LedgerStore store, CheckpointStore checkpoints, TimeProvider clock)
{
    private static readonly TimeSpan LatestFor = TimeSpan.FromSeconds(1);
    private const int MaxCachedIndexes = 1_000_000;
    private readonly ConcurrentDictionary<string, (Checkpoint? Checkpoint, DateTimeOffset ReadAt)> _latest = new();
    private readonly ConcurrentDictionary<(string, long), Checkpoint> _bySize = new();
    private readonly ConcurrentDictionary<(string, string), long> _indexes = new();

    /// <summary>The latest checkpoint (read at most once a second per campaign), or a given size's.</summary>
    public async Task<LedgerResult<Checkpoint>> CheckpointAsync(string campaignId, long? treeSize, CancellationToken ct)
    {
        var latest = await LatestAsync(campaignId, treeSize, ct);
        if (latest is null) return LedgerResult<Checkpoint>.NotFound($"campaign {campaignId} has no ledger checkpoint yet");
        if (treeSize is not { } size) return LedgerResult<Checkpoint>.Found(latest);
        if (size < 1 || size > latest.TreeSize) return LedgerResult<Checkpoint>.OutOfRange($"treeSize must be between 1 and {latest.TreeSize}");
        if (size == latest.TreeSize) return LedgerResult<Checkpoint>.Found(latest);
        if (_bySize.TryGetValue((campaignId, size), out var known)) return LedgerResult<Checkpoint>.Found(known);
        var found = await checkpoints.AtAsync(campaignId, size, ct);
        if (found is null) return LedgerResult<Checkpoint>.NotFound($"no checkpoint was published at tree size {size}");
        _bySize[(campaignId, size)] = found;
        return LedgerResult<Checkpoint>.Found(found);
    }

    /// <summary>Entries [start, end) of the published ledger, at most <see cref="LedgerRoutes.MaxPageSize"/>.</summary>
    public async Task<LedgerResult<LedgerEntriesPage>> EntriesAsync(string campaignId, long start, long? end, CancellationToken ct)
    {
        var published = (await LatestAsync(campaignId, end, ct))?.TreeSize ?? 0;
        if (start < 0 || start > published || end is { } e && (e < start || e > published))
            return LedgerResult<LedgerEntriesPage>.OutOfRange($"start and end must satisfy 0 ≤ start ≤ end ≤ {published}");
        var stop = Math.Min(end ?? published, start + LedgerRoutes.MaxPageSize);
        var views = new List<LedgerEntryView>();
        if (stop > start)
        {
            var rows = await store.EntryTilesAsync(campaignId, start / LedgerRows.TileWidth, (stop - 1) / LedgerRows.TileWidth, ct);
            foreach (var (tile, row) in rows)
            {
                var tileStart = tile * LedgerRows.TileWidth;
                var index = tileStart;
                foreach (var json in LedgerStore.EntriesOf(row))
                {
                    if (index >= start && index < stop)
                    {
                        // The leaf hash shown is computed from the stored text, never copied from storage, and the entry is
                        // shown even if it is not canonical: an altered entry then fails wherever it is checked.
                        var leaf = MerkleTree.LeafHash(System.Text.Encoding.UTF8.GetBytes(json));
                        views.Add(new LedgerEntryView(index, Convert.ToBase64String(leaf), LedgerEntryFields.Of(LedgerEntry.Parse(json, strict: false))));
                    }
                    index++;
                }
            }
        }
        return LedgerResult<LedgerEntriesPage>.Found(new LedgerEntriesPage(views, stop < published ? stop : null));
    }

    /// <summary>The pledge's index in the published ledger (for the pledge status), or not sequenced / not published yet.</summary>
    public async Task<LedgerResult<long>> IndexOfAsync(string campaignId, string pledgeId, CancellationToken ct)
    {
        var index = await SequencedIndexAsync(campaignId, pledgeId, ct);
        var published = (await LatestAsync(campaignId, index + 1, ct))?.TreeSize ?? 0;
        return index is { } i && i < published
            ? LedgerResult<long>.Found(i)
            : LedgerResult<long>.NotFound($"pledge {pledgeId} is not in a published ledger checkpoint yet");
    }

    /// <summary>The audit path of a pledge against a tree size (default: the latest checkpoint's).</summary>
    public async Task<LedgerResult<InclusionProofView>> InclusionProofAsync(string campaignId, string pledgeId, long? treeSize, CancellationToken ct)
    {
        var indexTask = SequencedIndexAsync(campaignId, pledgeId, ct);
        var latest = await LatestAsync(campaignId, treeSize, ct);
        var index = await indexTask;
        var published = latest?.TreeSize ?? 0;
        if (index is not { } leaf || leaf >= published)
            return LedgerResult<InclusionProofView>.NotFound($"pledge {pledgeId} is not in a published ledger checkpoint yet");
        var size = treeSize ?? published;
        if (size < 1 || size > published) return LedgerResult<InclusionProofView>.OutOfRange($"treeSize must be between 1 and {published}");
        if (leaf >= size) return LedgerResult<InclusionProofView>.OutOfRange($"pledge {pledgeId} was sequenced at index {leaf}, after tree size {size}");
        var path = await store.RangeHashesAsync(campaignId, MerkleTree.InclusionRanges(leaf, size), ct);
        return LedgerResult<InclusionProofView>.Found(new InclusionProofView(leaf, size, path.Select(Convert.ToBase64String).ToList()));
    }

    /// <summary>The consistency proof from the tree of <paramref name="first"/> entries to that of <paramref name="second"/>.</summary>
    public async Task<LedgerResult<ConsistencyProofView>> ConsistencyProofAsync(string campaignId, long first, long second, CancellationToken ct)
    {
        var published = (await LatestAsync(campaignId, second, ct))?.TreeSize ?? 0;
        if (published == 0) return LedgerResult<ConsistencyProofView>.NotFound($"campaign {campaignId} has no ledger checkpoint yet");
        if (first < 1 || first > second || second > published)
            return LedgerResult<ConsistencyProofView>.OutOfRange($"first and second must satisfy 1 ≤ first ≤ second ≤ {published}");
        var path = await store.RangeHashesAsync(campaignId, MerkleTree.ConsistencyRanges(first, second), ct);
        return LedgerResult<ConsistencyProofView>.Found(new ConsistencyProofView(first, second, path.Select(Convert.ToBase64String).ToList()));
    }

    /// <summary>The root of the ledger at any size it has reached (published or not): O(log n) tiles.</summary>
    public async Task<byte[]> RootAtAsync(string campaignId, long treeSize, CancellationToken ct) =>
        treeSize == 0 ? MerkleTree.EmptyRoot() : (await store.RangeHashesAsync(campaignId, [new LeafRange(0, treeSize)], ct))[0];

    /// <summary>Ids come from URLs: anything but a plain id cannot be in the ledger (and must not reach storage as a key).</summary>
    private static bool PlainId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private async Task<long?> SequencedIndexAsync(string campaignId, string pledgeId, CancellationToken ct)
    {
        if (!PlainId(campaignId) || !PlainId(pledgeId)) return null;
        if (_indexes.TryGetValue((campaignId, pledgeId), out var known)) return known;
        var row = await store.GetRowAsync(campaignId, LedgerRows.PledgeIndex(pledgeId), ct, ["Index"]);
        if (row?.GetInt64("Index") is not { } index) return null;
        if (_indexes.Count > MaxCachedIndexes) _indexes.Clear();
        _indexes[(campaignId, pledgeId)] = index;
        return index;
    }

    /// <summary>The latest checkpoint, from a one-second cache unless the caller asks about a size beyond it.</summary>
    private async Task<Checkpoint?> LatestAsync(string campaignId, long? needSize, CancellationToken ct)
    {
        if (!PlainId(campaignId)) return null;
        var now = clock.GetUtcNow();
        if (_latest.TryGetValue(campaignId, out var cached) && now - cached.ReadAt < LatestFor
            && (needSize is null || cached.Checkpoint is { } c && c.TreeSize >= needSize)) return cached.Checkpoint;
        var latest = await checkpoints.LatestAsync(campaignId, ct);
        _latest[campaignId] = (latest, now);
        return latest;
    }
}
