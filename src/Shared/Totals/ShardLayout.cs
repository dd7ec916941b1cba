using System.Globalization;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Pledges;
using Polly;

namespace GivingDay.Totals;

/// <summary>A campaign's counting shards: each its own partition of the <c>ledger</c> table, with its donors, its part of
/// the totals and its pledge rows and markers, so that shards commit in parallel. Shard 0 is the campaign's own partition
/// (the campaign id: a one-shard campaign is laid out as before shards existed); shard k ≥ 1 is <c>{campaignId}~{k}</c>
/// (a campaign id never holds '~'). A donor is always in the same shard (by their contact hash), so distinct donors and
/// per-donor caps stay exact within it; a gift without a contact goes by its pledge id. docs/storage.md, "Past one partition".</summary>
public static class ShardLayout
{
    public const int Default = 1;
    public const int Max = 16;
    /// <summary>A sharded campaign's shard has this many totals rows (lanes), each with its own part of the shard's totals and
    /// its own allotment of each pool. An instance writes one lane of a shard and moves to another when it loses the lane's
    /// row to another instance, so instances counting the same shard settle on different lanes instead of racing for one
    /// row (docs/storage.md, "Lanes"). A one-shard campaign has one (its pools are in its totals row).</summary>
    public const int Lanes = 4;
    private const char Separator = '~';

    public static string Partition(string campaignId, int shard) =>
        shard == 0 ? campaignId : campaignId + Separator + shard.ToString(CultureInfo.InvariantCulture);

    public static IEnumerable<string> Partitions(Campaign campaign) => Partitions(campaign.Id, campaign.Shards);

    public static IEnumerable<string> Partitions(string campaignId, int shards) =>
        Enumerable.Range(0, Math.Max(1, shards)).Select(k => Partition(campaignId, k));

    /// <summary>How many totals rows (lanes) each shard of a campaign with <paramref name="shards"/> shards has.</summary>
    public static int LanesOf(int shards) => shards > 1 ? Lanes : 1;

    /// <summary>Every totals row of a campaign: each shard's partition and lane.</summary>
    public static IEnumerable<(string Partition, int Shard, int Lane)> TotalsRows(string campaignId, int shards) =>
        from shard in Enumerable.Range(0, Math.Max(1, shards))
        from lane in Enumerable.Range(0, LanesOf(shards))
        select (Partition(campaignId, shard), shard, lane);

    /// <summary>The campaign a ledger partition belongs to.</summary>
    public static string CampaignOf(string partition) =>
        partition.IndexOf(Separator) is var at and >= 0 ? partition[..at] : partition;

    /// <summary>Which shard a ledger partition is.</summary>
    public static int ShardOf(string partition) =>
        partition.IndexOf(Separator) is var at and >= 0 ? int.Parse(partition.AsSpan(at + 1), CultureInfo.InvariantCulture) : 0;

    /// <summary>The shard of a pledge: its donor's (by contact hash), or its own (by id) without a contact.</summary>
    public static int ShardOf(Pledge pledge, int shards) => ShardOfKey(pledge.DonorHash ?? pledge.Id, shards);

    /// <summary>Where an Idempotency-Key's claim row lives: by the pledge id the key gives, whoever the donor is.</summary>
    public static int ClaimShardOf(string pledgeId, int shards) => ShardOfKey(pledgeId, shards);

    /// <summary>Contact hashes and pledge ids are hex (an HMAC or random bytes): their first 8 digits spread evenly. Anything
    /// else (an id from an older format) is hashed the same way on every instance.</summary>
    private static int ShardOfKey(string key, int shards)
    {
        if (shards <= 1) return 0;
        var value = key.Length >= 8 && uint.TryParse(key.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex)
            ? hex : Fnv(key);
        return (int)(value % (uint)shards);
    }

    private static uint Fnv(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key) hash = (hash ^ c) * 16777619u;
        return hash;
    }

    /// <summary>Runs one query in each of the campaign's shards, at once; the rows of all of them.</summary>
    /// <param name="filterIn">The query's filter in one partition.</param>
    public static async Task<List<TableEntity>> QueryAsync(TableClient table, ResiliencePipeline pipeline, string campaignId, int shards,
        Func<string, string> filterIn, IEnumerable<string>? select, CancellationToken ct)
    {
        var byShard = await Task.WhenAll(Partitions(campaignId, shards).Select(partition => pipeline.ExecuteAsync(async t =>
        {
            var rows = new List<TableEntity>();
            await foreach (var row in table.QueryAsync<TableEntity>(filterIn(partition), select: select, cancellationToken: t)) rows.Add(row);
            return rows;
        }, ct).AsTask()));
        return byShard.SelectMany(rows => rows).ToList();
    }

    /// <summary>Whether any of the campaign's shards has a row with a key in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static async Task<bool> AnyAsync(TableClient table, ResiliencePipeline pipeline, string campaignId, int shards, string from, string to, CancellationToken ct)
    {
        var found = await Task.WhenAll(Partitions(campaignId, shards).Select(partition => pipeline.ExecuteAsync(async t =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}");
            await foreach (var _ in table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: t)) return true;
            return false;
        }, ct).AsTask()));
        return found.Any(any => any);
    }

    /// <summary>A query filter over every partition of a campaign, whatever its shard count (for tests and tools that
    /// look at a campaign's rows without its definition).</summary>
    public static string AllPartitionsFilter(string campaignId) =>
        TableClient.CreateQueryFilter($"(PartitionKey eq {campaignId} or (PartitionKey ge {campaignId + Separator} and PartitionKey lt {campaignId + (char)(Separator + 1)}))");
}
