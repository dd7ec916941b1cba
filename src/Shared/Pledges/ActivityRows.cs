using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using GivingDay.Matching;
using GivingDay.Storage;
using Polly;

namespace GivingDay.Pledges;

/// <summary>The velocity rule's record of when each donor gave, in the <c>activity</c> table (docs/storage.md): a row per
/// donor per ten minutes, <c>b|{donor}|{bucket}</c>, merged into at intake with one property per pledge (<c>p{pledgeId}</c> =
/// acceptance ticks); a pledge in a bucket's last minute is written in the next bucket too, so counting reads a donor's
/// minute with one point read.
/// <para>A row holds at most 252 properties. A donor past that in ten minutes (a script) makes the storage refuse the merge;
/// the writer then merges into the bucket's next generation, <c>b|{donor}|{bucket}|{g}</c>, and a reader that finds a row
/// full enough to have been refused (<see cref="MayBeFull"/>) reads the next generation too. So the rule stays exact for
/// every donor, and only a script costs more reads.</para>
/// <para>A donor's first pledge in ten minutes (most pledges on a giving day) needs no read: intake creates its row (an
/// insert, not a merge) and passes the row's ETag to counting in the queue message; counting confirms, in one transaction
/// for all such donors of a step, that each row still has that ETag (a merge of the pledge's own property, on that
/// condition). A row unchanged since its pledge created it holds that pledge alone, which is what a read would show; a
/// row changed since (another gift of the donor stored in between) fails the condition and is read.</para></summary>
public sealed class ActivityRows(TableClient table, ResiliencePipeline pipeline)
{
    public static readonly TimeSpan BucketSpan = TimeSpan.FromMinutes(10);
    /// <summary>Properties an Azure table entity may hold besides PartitionKey, RowKey and Timestamp.</summary>
    public const int PropertyLimit = 252;
    /// <summary>A merge adds at most one flush's pledges (<see cref="PledgeIntake.MaxBatch"/>) to a row, so a row the storage
    /// refused holds more than this many: a reader looks past such a row to the next generation.</summary>
    public const int MayBeFull = PropertyLimit - PledgeIntake.MaxBatch;
    /// <summary>Generations past this are not tried (a contact that gave some 13,000 times in ten minutes): the write fails as any
    /// storage failure does.</summary>
    private const int MaxGeneration = 64;
    private const int MaxRemembered = 100_000;
    // The generation this writer last wrote each bucket in (so the row is there): its later flushes merge into that generation
    // instead of inserting (a refused insert) or going back to a full one (a refused merge).
    private readonly ConcurrentDictionary<string, int> _written = new(StringComparer.Ordinal);

    public static long BucketOf(DateTimeOffset at) => at.UtcTicks / BucketSpan.Ticks;
    /// <summary>The buckets a pledge accepted at <paramref name="at"/> is written in: its own, and the next one too when it falls
    /// in its bucket's last minute. So every pledge's minute before it ([t − 60 s, t), what the velocity rule looks at) is
    /// whole in the pledge's own bucket, and counting reads one row per donor, never two across an edge.</summary>
    public static IEnumerable<long> BucketsOf(DateTimeOffset at)
    {
        yield return BucketOf(at);
        if (BucketOf(at + MatchingRules.VelocityWindow) != BucketOf(at)) yield return BucketOf(at) + 1;
    }

    /// <summary>The property a pledge's acceptance is stored under in its bucket.</summary>
    public static string Property(Pledge pledge) => AcceptancePrefix + pledge.Id;
    private const char AcceptancePrefix = 'p';
    public static string Bucket(string donorHash, long bucket, int generation = 0) =>
        generation == 0 ? $"b|{donorHash}|{bucket:D12}" : $"b|{donorHash}|{bucket:D12}|{generation}";

    /// <param name="Create">Insert the row (this writer knows of no row there): the insert fails if the row exists.</param>
    private sealed record Merge(string Partition, string Donor, long Number, int Generation, IReadOnlyList<Pledge> Pledges, bool Create)
    {
        public string Remembered => $"{Partition}|{Bucket(Donor, Number)}";

        public TableTransactionAction Action()
        {
            var row = new TableEntity(Partition, Bucket(Donor, Number, Generation));
            foreach (var p in Pledges) row[Property(p)] = p.AcceptedAt.UtcTicks;
            return new(Create ? TableTransactionActionType.Add : TableTransactionActionType.UpsertMerge, row);
        }

        /// <summary>The pledge whose own bucket this row is and who alone created it: counting may confirm it instead of reading it.</summary>
        public Pledge? Creator => Create && Generation == 0 && Pledges.Count == 1 && BucketOf(Pledges[0].AcceptedAt) == Number ? Pledges[0] : null;
    }

    /// <summary>Writes the pledges' activity (all of one shard's partition, donors with a contact) in one transaction; a
    /// bucket the storage refuses moves to its next generation and the transaction is sent again. Returns, for each pledge
    /// that created its own bucket's row alone, the row's ETag as created (for <see cref="ReadAsync"/>).</summary>
    public async Task<Dictionary<string, string>> WriteAsync(string partition, IReadOnlyCollection<Pledge> pledges, CancellationToken ct)
    {
        var merges = pledges.Where(p => p.DonorHash is not null).SelectMany(p => BucketsOf(p.AcceptedAt).Select(b => (Pledge: p, Bucket: b)))
            .GroupBy(e => (Donor: e.Pledge.DonorHash!, e.Bucket))
            .Select(g => new Merge(partition, g.Key.Donor, g.Key.Bucket, 0, g.Select(e => e.Pledge).ToList(), false))
            .Select(m => _written.TryGetValue(m.Remembered, out var generation) ? m with { Generation = generation } : m with { Create = true }).ToList();
        var created = new Dictionary<string, string>(StringComparer.Ordinal);
        if (merges.Count > 0) await SubmitAsync(merges, created, ct);
        return created;
    }

    private async Task SubmitAsync(List<Merge> merges, Dictionary<string, string> created, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                var replies = (await pipeline.ExecuteAsync(async t => await table.SubmitTransactionAsync(merges.Select(m => m.Action()), t), ct)).Value;
                if (_written.Count > MaxRemembered) _written.Clear();
                for (var i = 0; i < merges.Count; i++)
                {
                    var m = merges[i];
                    // A flush in flight beside this one may have moved the bucket on already: keep the later generation.
                    _written.AddOrUpdate(m.Remembered, m.Generation, (_, known) => Math.Max(known, m.Generation));
                    if (m.Creator is { } creator && replies.Count == merges.Count && replies[i]?.Headers.ETag is { } etag)
                        created[creator.Id] = etag.ToString();
                }
                return;
            }
            catch (TableTransactionFailedException exists) when (exists.Status == 409)
            {
                // A row this writer meant to create is there (another instance wrote it, or this transaction's own first
                // try whose answer was lost): merge into it instead.
                var i = exists.FailedTransactionActionIndex;
                merges = i is int one && one >= 0 && one < merges.Count && merges[one].Create
                    ? merges.Select((m, n) => n == one ? m with { Create = false } : m).ToList()
                    : merges.Select(m => m with { Create = false }).ToList();
            }
            catch (Exception unreadable) when (TransactionReplies.IsUnreadableFailure(unreadable) && merges.Any(m => m.Create))
            {
                merges = merges.Select(m => m with { Create = false }).ToList();
            }
            catch (RequestFailedException refused) when (refused.Status == 400)
            {
                var index = (refused as TableTransactionFailedException)?.FailedTransactionActionIndex;
                if (index is null && merges.Count > 1)
                {
                    // The reply does not say which merge was refused: each on its own finds out.
                    foreach (var m in merges) await SubmitAsync([m], created, ct);
                    return;
                }
                var i = index ?? 0;
                if (i < 0 || i >= merges.Count || merges[i].Generation >= MaxGeneration) throw;
                // Only a row full enough for readers to look past it may get a next generation: a refusal of another kind
                // (whatever the error code says) stands.
                var refusedRow = await ReadBucketAsync(merges[i].Partition, merges[i].Donor, merges[i].Number, merges[i].Generation, ct);
                if (refusedRow is null || refusedRow.Count < MayBeFull) throw;
                merges[i] = merges[i] with { Generation = merges[i].Generation + 1 };
            }
        }
    }

    /// <summary>The acceptances (pledge id → time) in one generation of a donor's bucket; null when the row does not exist.</summary>
    private async Task<List<(string Pledge, DateTimeOffset At)>?> ReadBucketAsync(string partition, string donor, long bucket, int generation, CancellationToken ct)
    {
        var row = await pipeline.ExecuteAsync(async t =>
            await table.GetEntityIfExistsAsync<TableEntity>(partition, Bucket(donor, bucket, generation), cancellationToken: t), ct);
        return row.HasValue
            ? row.Value!.Where(kv => kv.Key.StartsWith(AcceptancePrefix) && kv.Value is long).Select(kv => (kv.Key[1..], new DateTimeOffset((long)kv.Value, TimeSpan.Zero))).ToList()
            : null;
    }

    /// <summary>For each donor of the pledges, their acceptances (pledge id → time) in the buckets that hold the minute before
    /// each of their pledges here: point reads, all at once (and of the next generation of any row full enough to have been
    /// refused). May hold more than the minute; the rule picks its window.
    /// <para>A donor with one pledge here that created its row (<paramref name="created"/>: pledge id → the row's ETag as
    /// created, from intake) is confirmed instead, with the others in one transaction: their row holds that pledge alone.</para></summary>
    public async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> ReadAsync(string partition, IEnumerable<Pledge> pledges,
        IReadOnlyDictionary<string, string>? created, CancellationToken ct)
    {
        var mine = pledges.Where(p => p.DonorHash is not null).ToList();
        var creators = created is not { Count: > 0 } ? [] : mine.GroupBy(p => p.DonorHash!, StringComparer.Ordinal)
            .Where(g => g.Count() == 1 && created.ContainsKey(g.First().Id)).Select(g => (Pledge: g.First(), ETag: created[g.First().Id])).ToList();
        var confirming = creators.Count > 0 ? ConfirmAsync(partition, creators, ct) : Task.FromResult(new HashSet<string>(StringComparer.Ordinal));
        var confirmable = creators.Select(c => c.Pledge.DonorHash!).ToHashSet(StringComparer.Ordinal);
        var others = mine.Where(p => !confirmable.Contains(p.DonorHash!)).ToList();
        var result = await ReadAllAsync(partition, others, ct);
        var confirmed = await confirming;
        var unconfirmed = creators.Where(c => !confirmed.Contains(c.Pledge.Id)).Select(c => c.Pledge).ToList();
        if (unconfirmed.Count > 0)
            foreach (var (donor, times) in await ReadAllAsync(partition, unconfirmed, ct)) result[donor] = times;
        foreach (var (p, _) in creators.Where(c => confirmed.Contains(c.Pledge.Id)))
            result[p.DonorHash!] = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal) { [p.Id] = p.AcceptedAt };
        return result;
    }

    /// <summary>The creators whose row still has the ETag it was created with: one transaction of conditional merges (of each
    /// pledge's own property, so the row's content stays as it is) per 100. A row changed since fails its condition and is
    /// left out (the reply names it; a reply that does not leaves the rest out too: they are read).</summary>
    private async Task<HashSet<string>> ConfirmAsync(string partition, List<(Pledge Pledge, string ETag)> creators, CancellationToken ct)
    {
        var confirmed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in creators.Chunk(100))
        {
            var left = chunk.ToList();
            for (var attempt = 0; left.Count > 0 && attempt < 4; attempt++)
            {
                try
                {
                    await pipeline.ExecuteAsync(async t => await table.SubmitTransactionAsync(left.Select(c => new TableTransactionAction(
                        TableTransactionActionType.UpdateMerge,
                        new TableEntity(partition, Bucket(c.Pledge.DonorHash!, BucketOf(c.Pledge.AcceptedAt))) { [Property(c.Pledge)] = c.Pledge.AcceptedAt.UtcTicks },
                        new ETag(c.ETag))), t), ct);
                    confirmed.UnionWith(left.Select(c => c.Pledge.Id));
                    break;
                }
                catch (TableTransactionFailedException changed) when (changed.Status is 412 or 404
                    && changed.FailedTransactionActionIndex is int i && i >= 0 && i < left.Count)
                {
                    left.RemoveAt(i);
                }
                catch (Exception changed) when (changed is RequestFailedException { Status: 412 or 404 } || TransactionReplies.IsUnreadableFailure(changed))
                {
                    break;
                }
            }
        }
        return confirmed;
    }

    private async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> ReadAllAsync(string partition, List<Pledge> pledges, CancellationToken ct)
    {
        // Each pledge's minute is all in its own bucket (the bucket before copied its last minute into it): a step that holds
        // a donor's pledges hours apart (a re-drive) reads their buckets, not every bucket between them.
        var reads = pledges.Select(p => (Donor: p.DonorHash!, Bucket: BucketOf(p.AcceptedAt))).Distinct().ToList();
        var result = new Dictionary<string, Dictionary<string, DateTimeOffset>>();
        // All of a step's reads at once (a step holds at most 100 actions, so about as many donors): one round trip.
        await Parallel.ForEachAsync(reads, new ParallelOptions { MaxDegreeOfParallelism = 128, CancellationToken = ct }, async (read, token) =>
        {
            for (var generation = 0; ; generation++)
            {
                if (await ReadBucketAsync(partition, read.Donor, read.Bucket, generation, token) is not { } times) return;
                lock (result)
                {
                    if (!result.TryGetValue(read.Donor, out var known)) result[read.Donor] = known = new();
                    foreach (var (pledge, at) in times) known[pledge] = at;
                }
                if (times.Count < MayBeFull) return;
            }
        });
        return result;
    }
}
