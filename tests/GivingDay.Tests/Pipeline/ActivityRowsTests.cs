using Azure.Data.Tables;
using GivingDay.Amounts;
using GivingDay.Pledges;
using GivingDay.Tests.Infrastructure;
using Polly;

namespace GivingDay.Tests.Pipeline;

/// <summary>The velocity rule's activity in Azurite: a donor's minute is read back whole from the bucket rows, across a
/// bucket's edge, and from the pledge rows once a bucket is marked full; a full bucket's refusal is turned into that mark.</summary>
public class ActivityRowsTests
{
    private const string Partition = "velocity";
    private static readonly DateTimeOffset BucketEdge = new(2026, 5, 8, 10, 10, 0, TimeSpan.Zero);

    private static Pledge PledgeOf(string donor, DateTimeOffset at) =>
        new(DonorIdentity.NewPledgeId(), Partition, "p1", new Money(1000), donor, "张*", null, "online", at, "fp");

    private static async Task<TableClient> TableAsync()
    {
        var table = new TableClient(Azurite.ConnectionString, Azurite.UniquePrefix() + "activity");
        await table.CreateIfNotExistsAsync();
        return table;
    }

    [Fact]
    public async Task A_donors_minute_is_read_from_the_buckets_across_a_buckets_edge_and_only_that_donor()
    {
        Assert.Equal(ActivityRows.BucketOf(BucketEdge) - 1, ActivityRows.BucketOf(BucketEdge.AddSeconds(-1)));
        var table = await TableAsync();
        var before = Enumerable.Range(0, 3).Select(i => PledgeOf("donor-a", BucketEdge.AddSeconds(-30 + i))).ToList();
        var after = PledgeOf("donor-a", BucketEdge.AddSeconds(10));
        var other = PledgeOf("donor-b", BucketEdge.AddSeconds(-20));
        await ActivityRows.WriteAsync(table, ResiliencePipeline.Empty, Partition, [.. before, other], default);
        await ActivityRows.WriteAsync(table, ResiliencePipeline.Empty, Partition, [after], default);

        var read = await ActivityRows.ReadAsync(table, ResiliencePipeline.Empty, Partition, [after], default);

        Assert.Equal(["donor-a"], read.Keys);
        Assert.Equal([.. before.Select(p => (p.Id, p.AcceptedAt)), (after.Id, after.AcceptedAt)],
            read["donor-a"].Select(kv => (kv.Key, kv.Value)).OrderBy(e => e.Value));
        Assert.Equal(2, table.Query<TableEntity>("RowKey ge 'b|donor-a|' and RowKey lt 'b|donor-a|~'").Count());
    }

    [Fact]
    public async Task A_bucket_marked_full_is_read_from_the_pledge_rows()
    {
        var table = await TableAsync();
        var pledges = Enumerable.Range(0, 5).Select(i => PledgeOf("script", BucketEdge.AddSeconds(5 + i))).ToList();
        await ActivityRows.WriteAsync(table, ResiliencePipeline.Empty, Partition, pledges, default);
        // What intake leaves after the storage refused the bucket's merge: the bucket holds only the mark.
        var bucket = ActivityRows.Bucket("script", ActivityRows.BucketOf(BucketEdge));
        await table.UpsertEntityAsync(new TableEntity(Partition, bucket) { ["Full"] = true }, TableUpdateMode.Replace);

        var read = await ActivityRows.ReadAsync(table, ResiliencePipeline.Empty, Partition, [pledges[^1]], default);

        Assert.Equal(pledges.Select(p => p.Id).Order(), read["script"].Keys.Order());
        // Without the mark the same emptied bucket reads as no activity: the mark is what sends the read to the pledge rows.
        await table.UpsertEntityAsync(new TableEntity(Partition, bucket), TableUpdateMode.Replace);
        var unmarked = await ActivityRows.ReadAsync(table, ResiliencePipeline.Empty, Partition, [pledges[^1]], default);
        Assert.Empty(unmarked.GetValueOrDefault("script") ?? []);
    }

    [Fact]
    public async Task A_refused_bucket_merge_becomes_a_full_mark_and_the_rest_is_written_as_it_was()
    {
        var pledges = new[] { PledgeOf("a", BucketEdge), PledgeOf("b", BucketEdge), PledgeOf("a", BucketEdge.AddSeconds(1)) };
        var actions = ActivityRows.Actions(Partition, pledges);
        Assert.Equal(5, actions.Count); // three pledge rows, then one bucket per donor
        var mergeOfB = actions.FindIndex(a => a.Entity.RowKey.StartsWith("b|b|"));

        var again = ActivityRows.AfterRefusal(actions, mergeOfB)!;
        Assert.Equal(TableTransactionActionType.UpsertReplace, again[mergeOfB].ActionType);
        Assert.Equal(true, ((TableEntity)again[mergeOfB].Entity)["Full"]);
        Assert.Equal(actions.Where((_, i) => i != mergeOfB), again.Where((_, i) => i != mergeOfB));

        // A reply that does not say which action failed marks every bucket of the transaction full.
        var all = ActivityRows.AfterRefusal(actions, null)!;
        Assert.Equal(2, all.Count(a => ((TableEntity)a.Entity).GetBoolean("Full") == true));
        Assert.Equal(actions.Take(3), all.Take(3));

        // A refusal of a pledge row, or of a bucket already marked, is not a full bucket's: the failure stands.
        Assert.Null(ActivityRows.AfterRefusal(actions, 0));
        Assert.Null(ActivityRows.AfterRefusal(again, mergeOfB));
        Assert.Null(ActivityRows.AfterRefusal(actions.Take(3).ToList(), null));

        // Written after a refusal, the marked bucket sends the donor's read to the pledge rows, which hold every pledge.
        var table = await TableAsync();
        await table.SubmitTransactionAsync(again);
        var read = await ActivityRows.ReadAsync(table, ResiliencePipeline.Empty, Partition, [pledges[1]], default);
        Assert.Equal([pledges[1].Id], read["b"].Keys);
    }
}
