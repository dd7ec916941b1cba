using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Ledger;

/// <summary>Row keys of the <c>publicledger</c> table; every row of a campaign's ledger shares its partition (the
/// campaign id) so that a sequencing step commits its entries, hashes and head in one transaction.
/// docs/storage.md and docs/ledger.md explain each.</summary>
public static class LedgerRows
{
    public const string Table = "publicledger";
    public const string Head = "head";
    /// <summary>Hashes per tile row, and entries per entry row: a tile of stratum s holds 64 nodes of level 6s.</summary>
    public const int TileWidth = 64;
    public const int TileBits = 6;

    public static string EntryTile(long tile) => $"e|{tile:D12}";
    public static string HashTile(int stratum, long tile) => $"h|{stratum:D2}|{tile:D12}";
    public static string PledgeIndex(string pledgeId) => "i|" + pledgeId;
    public static string Checkpoint(long treeSize) => $"c|{treeSize:D12}";
    public const string LatestCheckpoint = "checkpoint";
    public static string EntryProperty(int slot) => $"E{slot:D2}";
}

/// <summary>The head of a campaign's ledger: its size and root, and what the source needs to find new pledges
/// without reading the whole ledger (the latest countedAt sequenced, and where recent sequencing started).</summary>
public sealed record LedgerHead(long TreeSize, byte[] Root, DateTimeOffset? HighWater, IReadOnlyList<LedgerMark> Marks, ETag? ETag)
{
    public static LedgerHead Empty { get; } = new(0, MerkleTree.EmptyRoot(), null, [], null);

    /// <summary>Every entry whose countedAt is at or after <paramref name="since"/> has an index at or above this.</summary>
    public long TailStartFor(DateTimeOffset since) =>
        Marks.Where(m => m.MaxCountedAt >= since).Select(m => m.SizeBefore).DefaultIfEmpty(TreeSize).Min();
}

/// <summary>One sequencing call: the tree size it started from and the latest countedAt it sequenced.</summary>
public sealed record LedgerMark(long SizeBefore, DateTimeOffset MaxCountedAt);

/// <summary>Typed access to the public ledger's rows, with an in-memory cache of hash tiles: a tile's nodes never
/// change once written (a partial tile only gains nodes), so a cached tile serves any request it has enough nodes for.</summary>
public sealed class LedgerStore(StorageAccount account, ResiliencePipelineProvider<string> pipelines)
{
    private const int MaxCachedTiles = 200_000;
    private readonly ConcurrentDictionary<(string Campaign, int Stratum, long Tile), byte[][]> _tiles = new();
    private Task? _created;

    public TableClient Table { get; } = account.Table(LedgerRows.Table);
    public ResiliencePipelineProvider<string> Pipelines => pipelines;

    /// <summary>Creates the table once per process (StorageSetup does not know it yet).</summary>
    public Task EnsureCreatedAsync(CancellationToken ct)
    {
        var created = _created;
        if (created is { IsCompletedSuccessfully: true }) return created;
        return _created = pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t => { await Table.CreateIfNotExistsAsync(t); }, ct).AsTask();
    }

    private Polly.ResiliencePipeline Read => pipelines.GetPipeline(StoragePipelines.Storage);

    public async Task<TableEntity?> GetRowAsync(string campaignId, string rowKey, CancellationToken ct, IEnumerable<string>? select = null)
    {
        await EnsureCreatedAsync(ct);
        return await Read.ExecuteAsync(async t =>
            (await Table.GetEntityIfExistsAsync<TableEntity>(campaignId, rowKey, select, t)) is { HasValue: true } r ? r.Value : null, ct);
    }

    public async Task<List<TableEntity>> RangeAsync(string campaignId, string from, string toExclusive, CancellationToken ct, IEnumerable<string>? select = null, int? take = null)
    {
        await EnsureCreatedAsync(ct);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {from} and RowKey lt {toExclusive}");
        return await Read.ExecuteAsync(async t =>
        {
            var rows = new List<TableEntity>();
            await foreach (var row in Table.QueryAsync<TableEntity>(filter, maxPerPage: take is { } n ? Math.Min(n, 1000) : null, select: select, cancellationToken: t))
            {
                rows.Add(row);
                if (take is { } max && rows.Count >= max) break;
            }
            return rows;
        }, ct);
    }

    public async Task<LedgerHead> HeadAsync(string campaignId, CancellationToken ct) =>
        HeadFrom(await GetRowAsync(campaignId, LedgerRows.Head, ct));

    public static LedgerHead HeadFrom(TableEntity? row)
    {
        if (row is null) return LedgerHead.Empty;
        var marks = JsonSerializer.Deserialize<long[][]>(row.GetString("Marks") ?? "[]") ?? [];
        return new LedgerHead(
            row.GetInt64("TreeSize") ?? 0,
            row.GetBinary("RootHash") ?? MerkleTree.EmptyRoot(),
            row.GetDateTimeOffset("HighWater"),
            marks.Select(m => new LedgerMark(m[0], new DateTimeOffset(m[1], TimeSpan.Zero))).ToList(),
            row.ETag);
    }

    public static TableEntity HeadRow(string campaignId, LedgerHead head) => new(campaignId, LedgerRows.Head)
    {
        ["TreeSize"] = head.TreeSize,
        ["RootHash"] = head.Root,
        ["HighWater"] = head.HighWater,
        ["Marks"] = JsonSerializer.Serialize(head.Marks.Select(m => new[] { m.SizeBefore, m.MaxCountedAt.UtcTicks })),
    };

    /// <summary>The nodes of one tile (stratum 0: leaf hashes, from the entry row), with at least
    /// <paramref name="needed"/> of them; from the cache when it has enough.</summary>
    public async Task<byte[][]> TileAsync(string campaignId, int stratum, long tile, int needed, CancellationToken ct)
    {
        if (_tiles.TryGetValue((campaignId, stratum, tile), out var cached) && cached.Length >= needed) return cached;
        var row = stratum == 0
            ? await GetRowAsync(campaignId, LedgerRows.EntryTile(tile), ct, ["LeafHashes"])
            : await GetRowAsync(campaignId, LedgerRows.HashTile(stratum, tile), ct, ["Hashes"]);
        var hashes = Split(row?.GetBinary(stratum == 0 ? "LeafHashes" : "Hashes") ?? []);
        if (hashes.Length < needed)
            throw new InvalidOperationException($"ledger {campaignId}: tile {stratum}/{tile} holds {hashes.Length} nodes, {needed} needed");
        if (_tiles.Count > MaxCachedTiles) _tiles.Clear();
        _tiles[(campaignId, stratum, tile)] = hashes;
        return hashes;
    }

    /// <summary>Forgets cached tiles (tests that alter storage behind the reader's back).</summary>
    public void ClearCache() => _tiles.Clear();

    /// <summary>The hashes of these ranges of leaves (each a range of a proof or a root), reading each tile they
    /// need once, in parallel: O(log n) tiles for a proof.</summary>
    public async Task<List<byte[]>> RangeHashesAsync(string campaignId, IReadOnlyList<LeafRange> ranges, CancellationToken ct)
    {
        var perfect = new HashSet<LeafRange>();
        foreach (var r in ranges) MerkleTree.PerfectParts(r, perfect);
        // Which tile holds the nodes of each perfect subtree, and how many of that tile's nodes it needs.
        var needs = new Dictionary<(int Stratum, long Tile), int>();
        foreach (var p in perfect)
        {
            var (stratum, first, count) = NodesOf(p);
            var tile = first >> LedgerRows.TileBits;
            var needed = (int)(first + count - (tile << LedgerRows.TileBits));
            needs[(stratum, tile)] = Math.Max(needs.GetValueOrDefault((stratum, tile)), needed);
        }
        var tiles = new ConcurrentDictionary<(int, long), byte[][]>();
        await Parallel.ForEachAsync(needs, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (n, t) =>
            tiles[n.Key] = await TileAsync(campaignId, n.Key.Stratum, n.Key.Tile, n.Value, t));

        byte[] Perfect(LeafRange p)
        {
            var (stratum, first, count) = NodesOf(p);
            var tile = first >> LedgerRows.TileBits;
            return MerkleTree.Root(tiles[(stratum, tile)], (int)(first - (tile << LedgerRows.TileBits)), (int)count);
        }
        return ranges.Select(r => MerkleTree.RangeHash(r, Perfect)).ToList();
    }

    /// <summary>A perfect subtree of 2^L leaves is the combination of 2^(L mod 6) consecutive nodes of stratum L/6.</summary>
    private static (int Stratum, long First, long Count) NodesOf(LeafRange perfect)
    {
        var level = System.Numerics.BitOperations.Log2((ulong)perfect.Size);
        var stratum = level / LedgerRows.TileBits;
        var shift = stratum * LedgerRows.TileBits;
        return (stratum, perfect.Start >> shift, 1L << (level - shift));
    }

    /// <summary>Entry rows [firstTile, lastTile], by point reads in parallel (cheaper than a range query, here and in Azurite).</summary>
    public async Task<List<(long Tile, TableEntity Row)>> EntryTilesAsync(string campaignId, long firstTile, long lastTile, CancellationToken ct, IEnumerable<string>? select = null)
    {
        var rows = new TableEntity?[Math.Max(0, lastTile - firstTile + 1)];
        var columns = select?.ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Length), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, t) =>
            rows[i] = await GetRowAsync(campaignId, LedgerRows.EntryTile(firstTile + i), t, columns));
        return rows.Select((r, i) => (Tile: firstTile + i, Row: r)).Where(r => r.Row is not null).Select(r => (r.Tile, r.Row!)).ToList();
    }

    public static byte[][] Split(byte[] packed)
    {
        var hashes = new byte[packed.Length / MerkleTree.HashSize][];
        for (var i = 0; i < hashes.Length; i++) hashes[i] = packed.AsSpan(i * MerkleTree.HashSize, MerkleTree.HashSize).ToArray();
        return hashes;
    }

    public static byte[] Pack(IReadOnlyList<byte[]> hashes)
    {
        var packed = new byte[hashes.Count * MerkleTree.HashSize];
        for (var i = 0; i < hashes.Count; i++) hashes[i].CopyTo(packed, i * MerkleTree.HashSize);
        return packed;
    }

    /// <summary>The entry row of one tile: the canonical entries one property each, their pledge ids (for the
    /// source's look-back) and their leaf hashes (for proofs).</summary>
    public static TableEntity EntryTileRow(string campaignId, long tile, IReadOnlyList<string> entries, IReadOnlyList<string> pledgeIds, IReadOnlyList<byte[]> leafHashes)
    {
        var row = new TableEntity(campaignId, LedgerRows.EntryTile(tile))
        {
            ["Count"] = entries.Count,
            ["PledgeIds"] = string.Join('\n', pledgeIds),
            ["LeafHashes"] = Pack(leafHashes),
        };
        for (var i = 0; i < entries.Count; i++) row[LedgerRows.EntryProperty(i)] = entries[i];
        return row;
    }

    public static IEnumerable<string> EntriesOf(TableEntity tileRow)
    {
        var count = tileRow.GetInt32("Count") ?? 0;
        for (var i = 0; i < count; i++) yield return tileRow.GetString(LedgerRows.EntryProperty(i)) ?? "";
    }

    public static string[] PledgeIdsOf(TableEntity tileRow) =>
        tileRow.GetString("PledgeIds") is { Length: > 0 } ids ? ids.Split('\n') : [];
}
