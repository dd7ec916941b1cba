using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Storage;
using GivingDay.Resilience;
using GivingDay.Tests.Infrastructure;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;

namespace GivingDay.Tests.Pipeline;

/// <summary>Shared steps of the pipeline tests: posting a crowd of pledges, draining the pledge queue by hand,
/// and what the totals must then be.</summary>
public static class PipelineTestKit
{
    public sealed record Sent(string ProjectId, long Amount, string? Contact);

    public static readonly string[] Projects = ["zaochan", "weixinyuan", "songwanjia"];

    /// <summary>Pledges with repeated contacts (so distinct donors differ from pledges) and some without contact.</summary>
    public static List<Sent> Crowd(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new Sent(
            Projects[random.Next(Projects.Length)],
            random.Next(1, 500) * 100L,
            random.Next(4) == 0 ? null : $"13{random.Next(0, 10)}0000{random.Next(0, count / 3 + 1):0000}")).ToList();
    }

    public static object Body(Sent s) => new { projectId = s.ProjectId, amount = s.Amount, donor = new { name = "王小明", contact = s.Contact } };

    public static async Task<List<string>> PostAllAsync(AppInstance app, string campaignId, IReadOnlyList<Sent> pledges, int concurrency = 16, string? keyPrefix = null)
    {
        var ids = new string?[pledges.Count];
        var keys = keyPrefix ?? Guid.NewGuid().ToString("N")[..8];
        await Parallel.ForEachAsync(Enumerable.Range(0, pledges.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            using var response = await app.PledgeAsync(campaignId, Body(pledges[i]), idempotencyKey: $"{keys}{i}");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids[i] = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("pledgeId").GetString();
        });
        return ids.Select(i => i!).ToList();
    }

    /// <summary>Takes every message off the pledge queue (as a listener would receive them) until the
    /// messages hold <paramref name="expectedPledges"/> pledges.</summary>
    public static async Task<List<PledgeBatchMessage>> DrainAsync(StorageAccount account, int expectedPledges)
    {
        var queue = account.Queue(StorageNames.PledgeQueue);
        var messages = new List<PledgeBatchMessage>();
        await AppInstance.EventuallyAsync(async () =>
        {
            while ((await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value is { Length: > 0 } batch)
                foreach (var m in batch)
                {
                    messages.Add(JsonSerializer.Deserialize<PledgeBatchMessage>(m.Body.ToString(), GivingDayJson.Options)!);
                    await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                }
            return messages.Sum(m => m.Pledges.Count);
        }, n => n >= expectedPledges, what: $"{expectedPledges} pledges taken off the queue");
        Assert.Equal(expectedPledges, messages.SelectMany(m => m.Pledges).Select(p => p.Id).Distinct().Count());
        return messages;
    }

    /// <summary>Takes every message off the pledge queue for 10 minutes (as the WebJobs listener holds them while it counts)
    /// until they hold <paramref name="expectedPledges"/> pledges, without deleting them: each with its id and pop receipt.</summary>
    public static async Task<List<(PledgeBatchMessage Message, string Id, string Receipt)>> HoldAllAsync(StorageAccount account, int expectedPledges)
    {
        var queue = account.Queue(StorageNames.PledgeQueue);
        var taken = new List<(PledgeBatchMessage Message, string Id, string Receipt)>();
        await AppInstance.EventuallyAsync(async () =>
        {
            foreach (var m in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(10))).Value)
                taken.Add((JsonSerializer.Deserialize<PledgeBatchMessage>(m.Body.ToString(), GivingDayJson.Options)!, m.MessageId, m.PopReceipt));
            return taken.Sum(t => t.Message.Pledges.Count);
        }, n => n >= expectedPledges, what: "every message taken");
        return taken;
    }

    /// <summary>Mobile numbers (<paramref name="prefix"/> and four digits) whose donors land in <paramref name="shard"/> of a
    /// campaign of <paramref name="shards"/>, as the app hashes contacts.</summary>
    public static List<string> ContactsInShard(AppInstance app, string campaign, int shards, int shard, string prefix, int count) =>
        Enumerable.Range(0, 10_000).Select(i => $"{prefix}{i:0000}")
            .Where(c => ShardLayout.ShardOf(new Pledge("x", campaign, "zaochan", new(100), app.Get<DonorIdentity>().ContactHash(c), null, null, "online", default, ""), shards) == shard)
            .Take(count).ToList();

    /// <summary>A stored pledge row, with the partition (shard) it is in and what counting wrote on it.</summary>
    public sealed record StoredPledge(string Partition, string Id, string ProjectId, long Amount, long Matched, string? FundId, string? DonorHash, bool Counted);

    /// <summary>Every pledge row of the campaign, in whichever of its partitions it is.</summary>
    public static async Task<List<StoredPledge>> PledgeRowsAsync(StorageAccount account, string campaignId)
    {
        var rows = new List<StoredPledge>();
        await foreach (var r in account.Table(StorageNames.LedgerTable).QueryAsync<TableEntity>($"{ShardLayout.AllPartitionsFilter(campaignId)} and RowKey ge 'p|' and RowKey lt 'p}}'"))
            rows.Add(new StoredPledge(r.PartitionKey, r.RowKey[2..], r.GetString("ProjectId"), r.GetInt64("Amount")!.Value, r.GetInt64("Matched") ?? 0, r.GetString("FundId"),
                r.GetString("DonorHash"), r.GetBoolean("Counted") ?? false));
        return rows;
    }

    /// <summary>How many pledges outbox markers still list (accepted, not counted).</summary>
    public static Task<int> MarkedPledgesLeftAsync(StorageAccount account, string campaignId) => AppInstance.MarkedPledgesLeftAsync(account, campaignId);

    /// <summary>Asserts the leaderboard equals the sums over what was sent: raised, pledges, donors, per project.</summary>
    public static void AssertTotalsMatch(JsonElement board, IReadOnlyList<Sent> sent)
    {
        var totals = board.GetProperty("totals");
        Assert.Equal(sent.Sum(s => s.Amount), totals.GetProperty("raised").GetInt64());
        Assert.Equal(sent.Count, totals.GetProperty("pledges").GetInt64());
        Assert.Equal(Donors(sent), totals.GetProperty("donors").GetInt64());
        foreach (var project in board.GetProperty("projects").EnumerateArray())
        {
            var mine = sent.Where(s => s.ProjectId == project.GetProperty("projectId").GetString()).ToList();
            Assert.Equal(mine.Sum(s => s.Amount), project.GetProperty("raised").GetInt64());
            Assert.Equal(mine.Count, project.GetProperty("pledges").GetInt64());
            Assert.Equal(Donors(mine), project.GetProperty("donors").GetInt64());
            Assert.Equal(project.GetProperty("raised").GetInt64() + project.GetProperty("matched").GetInt64(), project.GetProperty("total").GetInt64());
        }
    }

    /// <summary>Distinct contacts, plus one donor per pledge without a contact.</summary>
    public static long Donors(IEnumerable<Sent> sent) =>
        sent.Where(s => s.Contact is not null).Select(s => s.Contact).Distinct().Count() + sent.Count(s => s.Contact is null);

    /// <summary>An instance's services that count its storage reads (the storage pipeline's calls) and its counting commits.</summary>
    public static Action<IServiceCollection> CountCalls(System.Runtime.CompilerServices.StrongBox<int> reads, System.Runtime.CompilerServices.StrongBox<int> commits) => s =>
    {
        s.AddSingleton(Chaos.Counting(StoragePipelines.Storage, reads));
        s.AddSingleton(Chaos.Counting(StoragePipelines.CountCommit, commits));
    };

    /// <summary>Three processors with injected faults (before calls, and lost answers after commits) take every
    /// message three times, at once; a failed delivery comes back, as the queue would redeliver it. Returns how
    /// many pledges the calls said they counted.</summary>
    public static async Task<int> CountWithRedeliveryAndFaultsAsync(string prefix, IReadOnlyList<PledgeBatchMessage> messages)
    {
        static void Faulty(IServiceCollection s)
        {
            s.AddSingleton(Chaos.Faults(StoragePipelines.Storage, 0.1));
            s.AddSingleton(Chaos.Faults(StoragePipelines.CountCommit, 0.15));
            s.AddSingleton(Chaos.LostAnswers(StoragePipelines.CountCommit, 0.15));
        }
        var processors = new List<AppInstance>();
        for (var i = 0; i < 3; i++) processors.Add(await AppInstance.StartAsync(prefix, services: Faulty, listeners: false));
        try
        {
            var deliveries = messages.SelectMany(m => Enumerable.Repeat(m, 3)).OrderBy(_ => Random.Shared.Next()).ToList();
            var counted = 0;
            await Parallel.ForEachAsync(deliveries.Select((m, i) => (m, i)), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (d, ct) =>
            {
                var projector = processors[d.i % processors.Count].Get<TotalsProjector>();
                for (var attempt = 0; ; attempt++)
                {
                    try { Interlocked.Add(ref counted, await projector.CountAsync(d.m, ct)); return; }
                    catch (Exception) when (attempt < 20) { }
                }
            });
            return counted;
        }
        finally { foreach (var p in processors) await p.DisposeAsync(); }
    }
}
