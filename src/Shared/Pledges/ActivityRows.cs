using Azure;
using Azure.Data.Tables;
using GivingDay.Matching;
using Polly;

namespace GivingDay.Pledges;

/// <summary>The velocity rule's record of when each donor gave, in the <c>activity</c> table (docs/storage.md).
/// Two kinds of row, written together at intake in one transaction:
/// <list type="bullet">
/// <item>a row per pledge, <c>a|{donor}|{ticks}|{pledge}</c>: the whole record, read by range only when the donor's
/// bucket says it is incomplete;</item>
/// <item>a row per donor per ten minutes, <c>b|{donor}|{bucket}</c>, merged into with one property per pledge
/// (<c>p{pledgeId}</c> = acceptance ticks): counting reads a donor's last minute with one or two point reads.</item>
/// </list>
/// A bucket row can hold 252 properties. A donor past that in ten minutes (a script) makes Azure refuse the merge; intake
/// then replaces the bucket with <c>Full = true</c>, and counting reads that donor's pledge rows by range instead. So the
/// rule stays exact for every donor, and costs a range query only for donors who give hundreds of times in ten minutes.</summary>
public static class ActivityRows
{
    public static readonly TimeSpan BucketSpan = TimeSpan.FromMinutes(10);
    private const string FullProperty = "Full";
    // An Azure Table query allows at most 15 comparisons: the partition, and two per donor's range.
    private const int DonorsPerRangeQuery = 7;

    public static long BucketOf(DateTimeOffset at) => at.UtcTicks / BucketSpan.Ticks;
    public static string Bucket(string donorHash, long bucket) => $"b|{donorHash}|{bucket:D12}";
    public static string Pledge(string donorHash, DateTimeOffset at, string pledgeId) => $"a|{donorHash}|{at.UtcTicks:D19}|{pledgeId}";
    private static string PledgesFrom(string donorHash, DateTimeOffset from) => $"a|{donorHash}|{from.UtcTicks:D19}";
    private static string PledgesEnd(string donorHash) => $"a|{donorHash}|~";
    private static string Property(string pledgeId) => "p" + pledgeId;

    /// <summary>One transaction's actions for the pledges (all of one shard's partition, donors with a contact): each
    /// pledge's row, then one merge per donor and bucket.</summary>
    public static List<TableTransactionAction> Actions(string partition, IReadOnlyCollection<Pledge> pledges)
    {
        var actions = new List<TableTransactionAction>(pledges.Count * 2);
        foreach (var p in pledges)
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(partition, Pledge(p.DonorHash!, p.AcceptedAt, p.Id))));
        foreach (var bucket in pledges.GroupBy(p => Bucket(p.DonorHash!, BucketOf(p.AcceptedAt)), StringComparer.Ordinal))
        {
            var row = new TableEntity(partition, bucket.Key);
            foreach (var p in bucket) row[Property(p.Id)] = p.AcceptedAt.UtcTicks;
            actions.Add(new(TableTransactionActionType.UpsertMerge, row));
        }
        return actions;
    }

    /// <summary>The transaction to send again after the storage refused <paramref name="actions"/> with 400, or null when
    /// the refusal is not a full bucket's (then the caller's failure stands). The refused bucket merge (every bucket merge,
    /// when the reply does not say which action failed) becomes a replace that marks the bucket full.</summary>
    public static List<TableTransactionAction>? AfterRefusal(IReadOnlyList<TableTransactionAction> actions, int? failedIndex)
    {
        static bool IsMerge(TableTransactionAction a) => a.ActionType == TableTransactionActionType.UpsertMerge && a.Entity.RowKey.StartsWith("b|", StringComparison.Ordinal);
        if (failedIndex is { } i && (i < 0 || i >= actions.Count || !IsMerge(actions[i]))) return null;
        if (failedIndex is null && !actions.Any(IsMerge)) return null;
        return actions.Select((a, index) => (failedIndex is null ? IsMerge(a) : index == failedIndex)
            ? new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(a.Entity.PartitionKey, a.Entity.RowKey) { [FullProperty] = true })
            : a).ToList();
    }

    /// <summary>Writes the pledges' activity; a bucket the storage refuses as full is marked full and the rest written again.</summary>
    public static async Task WriteAsync(TableClient table, ResiliencePipeline pipeline, string partition, IReadOnlyCollection<Pledge> pledges, CancellationToken ct)
    {
        if (pledges.Count == 0) return;
        var actions = Actions(partition, pledges);
        while (true)
        {
            try
            {
                await pipeline.ExecuteAsync(async t => await table.SubmitTransactionAsync(actions, t), ct);
                return;
            }
            catch (RequestFailedException refused) when (refused.Status == 400
                && AfterRefusal(actions, (refused as TableTransactionFailedException)?.FailedTransactionActionIndex) is { } again)
            {
                actions = again;
            }
        }
    }

    /// <summary>For each donor of the pledges, their acceptances (pledge id → time) from the minute before their earliest
    /// pledge here up to their latest: point reads of the buckets that span it, and a range read of the pledge rows for a
    /// donor whose bucket is full. May hold more than the minute; the rule picks its window.</summary>
    public static async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> ReadAsync(TableClient table, ResiliencePipeline pipeline,
        string partition, IEnumerable<Pledge> pledges, CancellationToken ct)
    {
        var windows = pledges.Where(p => p.DonorHash is not null).GroupBy(p => p.DonorHash!)
            .ToDictionary(g => g.Key, g => (From: g.Min(p => p.AcceptedAt) - MatchingRules.VelocityWindow, To: g.Max(p => p.AcceptedAt)));
        var reads = windows.SelectMany(w => Enumerable.Range(0, (int)(BucketOf(w.Value.To) - BucketOf(w.Value.From)) + 1)
            .Select(k => (Donor: w.Key, Key: Bucket(w.Key, BucketOf(w.Value.From) + k)))).ToList();
        var result = new Dictionary<string, Dictionary<string, DateTimeOffset>>();
        var full = new HashSet<string>();
        // All of a step's reads at once (a step holds at most 100 actions, so about as many donors): one round trip.
        await Parallel.ForEachAsync(reads, new ParallelOptions { MaxDegreeOfParallelism = 128, CancellationToken = ct }, async (read, token) =>
        {
            var row = await pipeline.ExecuteAsync(async t => await table.GetEntityIfExistsAsync<TableEntity>(partition, read.Key, cancellationToken: t), token);
            if (!row.HasValue) return;
            lock (result)
            {
                if (row.Value!.GetBoolean(FullProperty) == true) { full.Add(read.Donor); return; }
                if (!result.TryGetValue(read.Donor, out var times)) result[read.Donor] = times = new();
                foreach (var (name, value) in row.Value)
                    if (name.StartsWith('p') && value is long ticks) times[name[1..]] = new DateTimeOffset(ticks, TimeSpan.Zero);
            }
        });
        if (full.Count == 0) return result;

        // Several full donors' ranges per query: far fewer queries than one per donor.
        await Parallel.ForEachAsync(full.Chunk(DonorsPerRangeQuery), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (group, token) =>
        {
            // Each piece from the SDK's filter helper, which quotes and escapes the values.
            var ranges = group.Select(d => TableClient.CreateQueryFilter(
                $"(RowKey ge {PledgesFrom(d, windows[d].From)} and RowKey lt {PledgesEnd(d)})"));
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}") + " and (" + string.Join(" or ", ranges) + ")";
            var found = new Dictionary<string, Dictionary<string, DateTimeOffset>>();
            await pipeline.ExecuteAsync(async t =>
            {
                found.Clear();
                await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: t))
                {
                    var parts = row.RowKey.Split('|'); // a|donor|ticks|pledge
                    if (!found.TryGetValue(parts[1], out var times)) found[parts[1]] = times = new();
                    times[parts[3]] = new DateTimeOffset(long.Parse(parts[2]), TimeSpan.Zero);
                }
            }, token);
            lock (result) foreach (var (donor, times) in found) result[donor] = times;
        });
        return result;
    }
}
