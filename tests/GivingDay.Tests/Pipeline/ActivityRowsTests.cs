using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using GivingDay.Amounts;
using GivingDay.Pledges;
using GivingDay.Tests.Infrastructure;
using Polly;

namespace GivingDay.Tests.Pipeline;

/// <summary>The velocity rule's activity in Azurite: a donor's minute is read back whole, across a bucket's edge and past
/// full rows; a bucket the storage refuses as full (Azure's 252-property limit, added here since Azurite has none) moves to
/// its next generation and nothing is lost.</summary>
public partial class ActivityRowsTests
{
    private const string Partition = "velocity";
    private static readonly DateTimeOffset BucketEdge = new(2026, 5, 8, 10, 10, 0, TimeSpan.Zero);

    private static Pledge PledgeOf(string donor, DateTimeOffset at) =>
        new(DonorIdentity.NewPledgeId(), Partition, "p1", new Money(1000), donor, "张*", null, "online", at, "fp");

    private static async Task<TableClient> TableAsync(string name, HttpPipelinePolicy? policy = null)
    {
        var options = new TableClientOptions();
        if (policy is not null) options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        var table = new TableClient(Azurite.ConnectionString, name, options);
        await table.CreateIfNotExistsAsync();
        return table;
    }

    private static Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> ReadAsync(TableClient table, params Pledge[] pledges) =>
        new ActivityRows(table, ResiliencePipeline.Empty).ReadAsync(Partition, pledges, null, default);

    [Fact]
    public async Task A_donors_minute_is_read_across_a_buckets_edge_and_only_that_donors()
    {
        var edge = ActivityRows.BucketOf(BucketEdge);
        Assert.Equal(edge - 1, ActivityRows.BucketOf(BucketEdge.AddTicks(-1)));
        // A bucket's last minute, and only that, is written in the next bucket too.
        Assert.Equal([edge - 1, edge], ActivityRows.BucketsOf(BucketEdge.AddSeconds(-60)));
        Assert.Equal([edge - 1], ActivityRows.BucketsOf(BucketEdge.AddSeconds(-60).AddTicks(-1)));
        Assert.Equal([edge], ActivityRows.BucketsOf(BucketEdge));

        var table = await TableAsync(Azurite.UniquePrefix() + "activity");
        var writer = new ActivityRows(table, ResiliencePipeline.Empty);
        var earlier = PledgeOf("donor-a", BucketEdge.AddMinutes(-5));
        var before = Enumerable.Range(0, 3).Select(i => PledgeOf("donor-a", BucketEdge.AddSeconds(-30 + i))).ToList();
        var after = PledgeOf("donor-a", BucketEdge.AddSeconds(10));
        var other = PledgeOf("donor-b", BucketEdge.AddSeconds(-20));
        await writer.WriteAsync(Partition, [earlier, .. before, other], default);
        await writer.WriteAsync(Partition, [after], default);

        var read = await ReadAsync(table, after);

        // The minute before `after` crosses the edge, and is read whole from after's bucket: the three pledges just
        // before the edge (written there too), not the one five minutes before it.
        Assert.Equal(["donor-a"], read.Keys);
        Assert.Equal([.. before.Select(p => (p.Id, p.AcceptedAt)), (after.Id, after.AcceptedAt)],
            read["donor-a"].Select(kv => (kv.Key, kv.Value)).OrderBy(e => e.Value));
        // One row per donor and bucket: the four earlier pledges share one.
        Assert.Equal(4, table.GetEntity<TableEntity>(Partition, ActivityRows.Bucket("donor-a", edge - 1)).Value.Keys.Count(k => k.StartsWith('p')));
    }

    [Fact]
    public async Task A_donors_pledges_hours_apart_are_read_from_their_own_buckets_only()
    {
        var name = Azurite.UniquePrefix() + "activity";
        var gets = new CountGets();
        var table = await TableAsync(name, gets);
        var early = PledgeOf("donor", BucketEdge.AddMinutes(5));
        var late = PledgeOf("donor", BucketEdge.AddHours(3).AddSeconds(30)); // its minute spans an edge, and is whole in its bucket
        var writer = new ActivityRows(table, ResiliencePipeline.Empty);
        await writer.WriteAsync(Partition, [early], default);
        await writer.WriteAsync(Partition, [late], default);

        var read = await ReadAsync(table, early, late);

        Assert.Equal(new[] { early.Id, late.Id }.Order(), read["donor"].Keys.Order());
        Assert.Equal(2, gets.Count); // one per pledge's bucket: not the 19 buckets from the first minute to the last
    }

    /// <summary>Counts the point reads (and the transactions) the table client sends.</summary>
    private sealed class CountGets : HttpPipelineSynchronousPolicy
    {
        public int Count;
        public int Transactions;
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get) Interlocked.Increment(ref Count);
            if (message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.EndsWith("$batch")) Interlocked.Increment(ref Transactions);
        }
    }

    [Fact]
    public async Task A_donors_first_gift_in_ten_minutes_is_confirmed_with_the_others_in_one_transaction_and_not_read()
    {
        var gets = new CountGets();
        var table = await TableAsync(Azurite.UniquePrefix() + "activity", gets);
        var firsts = Enumerable.Range(0, 30).Select(i => PledgeOf($"donor-{i}", BucketEdge.AddSeconds(i))).ToList();
        var created = await new ActivityRows(table, ResiliencePipeline.Empty).WriteAsync(Partition, firsts, default);
        Assert.Equal(firsts.Select(p => p.Id).Order(), created.Keys.Order());
        var reader = new ActivityRows(table, ResiliencePipeline.Empty);
        gets.Transactions = 0;

        var read = await reader.ReadAsync(Partition, firsts, created, default);

        Assert.Equal(0, gets.Count);
        Assert.Equal(1, gets.Transactions);
        foreach (var p in firsts) Assert.Equal([(p.Id, p.AcceptedAt)], read[p.DonorHash!].Select(kv => (kv.Key, kv.Value)));
        // The confirmation left each row as intake wrote it: one acceptance.
        Assert.Equal(["p" + firsts[0].Id], table.GetEntity<TableEntity>(Partition, ActivityRows.Bucket("donor-0", ActivityRows.BucketOf(BucketEdge))).Value.Keys.Where(k => k.StartsWith('p')));

        // The same message counted again (redelivered): each row's ETag moved with the first confirmation, so each is read,
        // with the same answer.
        gets.Count = 0;
        var again = await reader.ReadAsync(Partition, firsts, created, default);
        Assert.Equal(30, gets.Count);
        foreach (var p in firsts) Assert.Equal([p.Id], again[p.DonorHash!].Keys);
    }

    [Fact]
    public async Task A_row_changed_after_its_pledge_created_it_is_read_so_gifts_stored_later_but_accepted_before_are_seen()
    {
        var gets = new CountGets();
        var table = await TableAsync(Azurite.UniquePrefix() + "activity", gets);
        var instanceA = new ActivityRows(table, ResiliencePipeline.Empty);
        var instanceB = new ActivityRows(table, ResiliencePipeline.Empty);
        // Instance A stores a script's gift first and creates its row; instance B, whose flushes were slower, then stores
        // four gifts of the same donor accepted in the minute before it, one flush each.
        var last = PledgeOf("script", BucketEdge.AddSeconds(40));
        var human = PledgeOf("human", BucketEdge.AddSeconds(41));
        var created = await instanceA.WriteAsync(Partition, [last, human], default);
        Assert.Equal(new[] { last.Id, human.Id }.Order(), created.Keys.Order());
        var earlier = Enumerable.Range(0, 4).Select(i => PledgeOf("script", BucketEdge.AddSeconds(10 + i))).ToList();
        foreach (var p in earlier)
            // B knows no row there: its insert is refused and it merges instead, and creates nothing.
            Assert.Empty(await instanceB.WriteAsync(Partition, [p], default));

        var read = await new ActivityRows(table, ResiliencePipeline.Empty).ReadAsync(Partition, [last, human], created, default);

        Assert.Equal(earlier.Append(last).Select(p => p.Id).Order(), read["script"].Keys.Order());
        Assert.Equal([human.Id], read["human"].Keys);
        Assert.Equal(1, gets.Count); // the changed row only: the human's row is confirmed
        Assert.True(GivingDay.Matching.MatchingRules.IsScripted(last.AcceptedAt, read["script"].Where(kv => kv.Key != last.Id).Select(kv => kv.Value).ToList()));
    }

    [Fact]
    public void A_queue_message_carries_the_created_rows_ETags_unless_they_would_take_it_past_its_limit()
    {
        var pledges = Enumerable.Range(0, 3).Select(i => PledgeOf($"donor-{i}", BucketEdge.AddSeconds(i))).ToList();
        var created = pledges.ToDictionary(p => p.Id, p => $"W/\"datetime'{p.AcceptedAt:O}'\"");
        var message = new PledgeBatchMessage(Partition, pledges, CreatedActivity: created);
        var without = JsonSerializer.Serialize(message with { CreatedActivity = null }, GivingDay.Json.GivingDayJson.Options);

        var kept = JsonSerializer.Deserialize<PledgeBatchMessage>(PledgeIntake.MessageText(message), GivingDay.Json.GivingDayJson.Options)!;
        Assert.Equal(created.OrderBy(c => c.Key), kept.CreatedActivity!.OrderBy(c => c.Key));
        // A message whose pledges' own text leaves no room for the ETags goes without them: counting then reads those rows.
        var full = PledgeIntake.MessageText(message, limit: System.Text.Encoding.UTF8.GetByteCount(without) + 10);
        Assert.Equal(without, full);
        Assert.Null(JsonSerializer.Deserialize<PledgeBatchMessage>(full, GivingDay.Json.GivingDayJson.Options)!.CreatedActivity);
        Assert.Equal(48 * 1024, PledgeIntake.MaxMessageText);
    }

    [Fact]
    public async Task A_writer_merges_into_rows_it_wrote_and_a_donors_second_gift_is_read()
    {
        var gets = new CountGets();
        var table = await TableAsync(Azurite.UniquePrefix() + "activity", gets);
        var writer = new ActivityRows(table, ResiliencePipeline.Empty);
        var first = PledgeOf("donor", BucketEdge.AddSeconds(1));
        var second = PledgeOf("donor", BucketEdge.AddSeconds(20));
        var both = PledgeOf("pair", BucketEdge.AddSeconds(2));
        var alsoBoth = PledgeOf("pair", BucketEdge.AddSeconds(3));
        Assert.Equal([first.Id], (await writer.WriteAsync(Partition, [first, both, alsoBoth], default)).Keys); // two in one row: no creator
        var created = await writer.WriteAsync(Partition, [second], default);
        Assert.Empty(created);

        var read = await new ActivityRows(table, ResiliencePipeline.Empty).ReadAsync(Partition, [second, alsoBoth], created, default);
        Assert.Equal(new[] { first.Id, second.Id }.Order(), read["donor"].Keys.Order());
        Assert.Equal(new[] { both.Id, alsoBoth.Id }.Order(), read["pair"].Keys.Order());
        Assert.Equal(2, gets.Count);
    }

    [Fact]
    public async Task A_row_full_enough_to_have_been_refused_is_read_past_and_a_row_below_that_is_not()
    {
        var table = await TableAsync(Azurite.UniquePrefix() + "activity");
        var bucket = ActivityRows.BucketOf(BucketEdge);
        async Task<List<Pledge>> SeedAsync(string donor, int generation, int count)
        {
            var pledges = Enumerable.Range(0, count).Select(i => PledgeOf(donor, BucketEdge.AddMilliseconds(100 * generation + i))).ToList();
            var row = new TableEntity(Partition, ActivityRows.Bucket(donor, bucket, generation));
            foreach (var p in pledges) row[ActivityRows.Property(p)] = p.AcceptedAt.UtcTicks;
            await table.AddEntityAsync(row);
            return pledges;
        }
        var full = await SeedAsync("script", 0, ActivityRows.MayBeFull);
        var next = await SeedAsync("script", 1, 3);
        var below = await SeedAsync("human", 0, ActivityRows.MayBeFull - 1);
        await SeedAsync("human", 1, 3);

        var read = await ReadAsync(table, PledgeOf("script", BucketEdge.AddSeconds(30)), PledgeOf("human", BucketEdge.AddSeconds(30)));

        Assert.Equal(full.Concat(next).Select(p => p.Id).Order(), read["script"].Keys.Order());
        // The row below the mark ends the read: the next generation (which a writer never makes past such a row) is not read.
        Assert.Equal(below.Select(p => p.Id).Order(), read["human"].Keys.Order());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_bucket_refused_as_full_moves_to_its_next_generation_and_every_pledge_is_read_back(bool replyNamesTheAction)
    {
        var name = Azurite.UniquePrefix() + "activity";
        var limit = new PropertyLimit(await TableAsync(name), replyNamesTheAction);
        var table = await TableAsync(name, limit);
        // A script gives 300 times in a minute, in flushes of 48 beside other donors' single gifts.
        var script = Enumerable.Range(0, 300).Select(i => PledgeOf("script", BucketEdge.AddMilliseconds(150 * i))).ToList();
        var others = Enumerable.Range(0, 7).Select(i => PledgeOf($"donor-{i}", BucketEdge.AddSeconds(i))).ToList();
        var flushes = script.Chunk(47).Select((chunk, i) => chunk.Append(others[i]).ToList()).ToList();
        var first = new ActivityRows(table, ResiliencePipeline.Empty);
        var second = new ActivityRows(table, ResiliencePipeline.Empty);
        foreach (var flush in flushes.Take(5)) await first.WriteAsync(Partition, flush, default);
        await second.WriteAsync(Partition, flushes[5], default); // refused: generation 0 would pass 252
        await first.WriteAsync(Partition, flushes[6], default); // refused too: this instance has not met the refusal yet
        var last = PledgeOf("script", BucketEdge.AddSeconds(58));
        await second.WriteAsync(Partition, [last], default); // not refused: this instance remembers the generation

        // Each refused flush costs one refusal when the reply names the merge, and two when the merge must be found alone.
        Assert.Equal(replyNamesTheAction ? 2 : 4, limit.Refused);
        script.Add(last);
        var read = await ReadAsync(table, [PledgeOf("script", BucketEdge.AddSeconds(59)), .. others]);
        Assert.Equal(script.Select(p => p.Id).Order(), read["script"].Keys.Order());
        foreach (var o in others) Assert.Equal([o.Id], read[o.DonorHash!].Keys);
        var generation1 = ActivityRows.Bucket("script", ActivityRows.BucketOf(BucketEdge), 1);
        Assert.Equal(300 + 1 - 5 * 47, table.GetEntity<TableEntity>(Partition, generation1).Value.Keys.Count(k => k.StartsWith('p')));
    }

    [Fact]
    public async Task A_refusal_of_a_row_that_is_not_full_stands_and_makes_no_next_generation()
    {
        var name = Azurite.UniquePrefix() + "activity";
        // Refuses past 10 properties: a 400 that is not Azure's full row, which readers would never look past.
        var limit = new PropertyLimit(await TableAsync(name), namesTheAction: true, properties: 10);
        var table = await TableAsync(name, limit);
        var writer = new ActivityRows(table, ResiliencePipeline.Empty);
        await writer.WriteAsync(Partition, Enumerable.Range(0, 8).Select(i => PledgeOf("donor", BucketEdge.AddSeconds(i))).ToList(), default);

        var refused = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            writer.WriteAsync(Partition, Enumerable.Range(0, 5).Select(i => PledgeOf("donor", BucketEdge.AddSeconds(20 + i))).ToList(), default));

        Assert.Equal(400, refused.Status);
        Assert.Equal(1, limit.Refused);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(Partition, ActivityRows.Bucket("donor", ActivityRows.BucketOf(BucketEdge), 1))).HasValue);
    }

    /// <summary>Azure's limit of 252 properties an entity, which Azurite does not enforce: refuses a transaction whose merge
    /// would take a row past it, with 400 and (when <paramref name="namesTheAction"/>) the failed action's index, as Azure does.
    /// A lower <paramref name="properties"/> stands for a refusal of another kind.</summary>
    public sealed partial class PropertyLimit(TableClient plain, bool namesTheAction, int properties = ActivityRows.PropertyLimit) : HttpPipelinePolicy
    {
        public int Refused;

        [GeneratedRegex(@"(?:PATCH|MERGE) \S*RowKey='([^']*)'\)\S* HTTP/1\.1\r?\n(?:[^\r\n]+\r?\n)*\r?\n(\{[^\r\n]*\})")]
        private static partial Regex MergeRequest();

        // The writer sends asynchronously; the test's own synchronous queries pass.
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.EndsWith("$batch") && message.Request.Content is { } content)
            {
                using var body = new MemoryStream();
                await content.WriteToAsync(body, default);
                var merges = MergeRequest().Matches(System.Text.Encoding.UTF8.GetString(body.ToArray()));
                for (var i = 0; i < merges.Count; i++)
                {
                    var rowKey = Uri.UnescapeDataString(merges[i].Groups[1].Value.Replace("''", "'"));
                    var adding = JsonDocument.Parse(merges[i].Groups[2].Value).RootElement.EnumerateObject()
                        .Select(p => p.Name).Where(n => n.StartsWith('p') && !n.Contains('@')).ToHashSet();
                    var existing = await plain.GetEntityIfExistsAsync<TableEntity>(Partition, rowKey);
                    var has = existing.HasValue ? existing.Value!.Keys.Where(k => k.StartsWith('p')).ToHashSet() : [];
                    if (has.Union(adding).Count() <= properties) continue;
                    Interlocked.Increment(ref Refused);
                    var refusal = new RequestFailedException(400, $"{i}:The entity contains more properties than allowed.", "TooManyProperties", null);
                    if (!namesTheAction) throw refusal;
                    refusal.Data["FailedEntity"] = i.ToString();
                    throw new TableTransactionFailedException(refusal);
                }
            }
            await ProcessNextAsync(message, pipeline);
        }
    }
}
