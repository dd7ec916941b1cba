using Azure.Data.Tables;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Pipeline;

/// <summary>Invariants 1 and 2: every accepted pledge counted exactly once, whatever the delivery.</summary>
public class CountingTests
{
    [Fact]
    public async Task Three_processors_racing_over_duplicated_messages_with_injected_faults_count_each_pledge_once()
    {
        var prefix = Azurite.UniquePrefix();
        await using var intake = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await intake.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var sent = Crowd(240, seed: 7);
        await PostAllAsync(intake, campaignId, sent);
        var messages = await DrainAsync(intake.Get<StorageAccount>(), sent.Count);

        var countedByCalls = await CountWithRedeliveryAndFaultsAsync(prefix, messages);

        // Calls can report fewer than were counted (a lost answer hides a step that went through), never more.
        Assert.InRange(countedByCalls, 1, sent.Count);
        var board = await intake.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
        AssertTotalsMatch(board, sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(intake.Get<StorageAccount>(), campaignId));
    }

    [Fact]
    public async Task A_message_counted_again_after_success_changes_nothing()
    {
        var prefix = Azurite.UniquePrefix();
        await using var app = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var sent = Crowd(20, seed: 3);
        await PostAllAsync(app, campaignId, sent);
        var messages = await DrainAsync(app.Get<StorageAccount>(), sent.Count);
        var projector = app.Get<TotalsProjector>();

        foreach (var m in messages) await projector.CountAsync(m, default);
        var again = 0;
        foreach (var m in messages) again += await projector.CountAsync(m, default);

        Assert.Equal(0, again);
        AssertTotalsMatch(await app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
    }

    [Fact]
    public async Task New_donors_are_counted_without_a_read_each()
    {
        var reads = new StrongBox<int>();
        var commits = new StrongBox<int>();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false, services: CountCalls(reads, commits));
        var campaignId = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        // 66 pledges, each from a donor giving for the first time.
        var sent = Enumerable.Range(0, 66).Select(i => new Sent(Projects[i % 3], 1000 + i, $"1390000{i:0000}")).ToList();
        await PostAllAsync(app, campaignId, sent);
        var messages = await DrainAsync(app.Get<StorageAccount>(), sent.Count);
        await app.Get<GivingDay.Campaigns.CampaignStore>().GetAsync(campaignId, default);
        reads.Value = 0; commits.Value = 0;

        // At once, as a listener hands them over: messages waiting for the campaign's turn are counted together.
        var counted = await Task.WhenAll(messages.Select(m => app.Get<TotalsProjector>().CountAsync(m, default)));

        Assert.Equal(sent.Count, counted.Sum());
        // One transaction per turn and 99 actions: never more transactions than messages, however many donors.
        Assert.InRange(commits.Value, 2, messages.Count);
        // The totals row once (nothing cached yet), perhaps the campaign again: nothing per donor or per pledge.
        Assert.InRange(reads.Value, 1, 3);
        AssertTotalsMatch(await app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaignId));

        // The next turn starts from what the last one committed: no read at all, returning donors included.
        var more = Enumerable.Range(0, 10).Select(i => new Sent(Projects[i % 3], 500, i < 5 ? $"1390000{i:0000}" : $"1380000{i:0000}")).ToList();
        await PostAllAsync(app, campaignId, more);
        var next = await DrainAsync(app.Get<StorageAccount>(), more.Count);
        await app.Get<GivingDay.Campaigns.CampaignStore>().GetAsync(campaignId, default);
        reads.Value = 0;
        foreach (var m in next) Assert.Equal(m.Pledges.Count, await app.Get<TotalsProjector>().CountAsync(m, default));
        Assert.InRange(reads.Value, 0, 1);
        // The leaderboard serves what it read up to half a second ago: wait for the new figures.
        AssertTotalsMatch(await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count + more.Count, what: "all counted"), [.. sent, .. more]);
    }

    /// <summary>An instance without listeners whose counting commits are counted and take 400 ms more each: long enough for
    /// messages handed over meanwhile to join the turn.</summary>
    private static Task<AppInstance> SlowCommitsAsync(StrongBox<int> commits) =>
        AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false, services: s =>
        {
            s.AddSingleton(Chaos.Counting(StoragePipelines.CountCommit, commits));
            s.AddSingleton(Chaos.Latency(StoragePipelines.CountCommit, TimeSpan.FromMilliseconds(400)));
        });

    [Fact]
    public async Task Messages_that_arrive_while_a_turn_counts_join_it_and_are_done_at_their_step_each_credited_once()
    {
        var commits = new StrongBox<int>();
        await using var app = await SlowCommitsAsync(commits);
        var campaignId = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        // Four small rounds of intake first, then a large one (150 first-time donors: several steps).
        var rounds = new List<List<PledgeBatchMessage>>();
        var sent = new List<Sent>();
        foreach (var (r, size) in new[] { (1, 6), (2, 6), (3, 6), (4, 6), (0, 150) })
        {
            var round = Enumerable.Range(0, size).Select(i => new Sent(Projects[i % 3], 1000 + i, $"13{r}0000{i:0000}")).ToList();
            await PostAllAsync(app, campaignId, round);
            rounds.Add(await DrainAsync(app.Get<StorageAccount>(), round.Count));
            sent.AddRange(round);
        }
        var large = rounds[^1];
        var projector = app.Get<TotalsProjector>();
        await app.Get<GivingDay.Campaigns.CampaignStore>().GetAsync(campaignId, default);
        commits.Value = 0;

        // The large round starts a turn; the small ones, and a second delivery of a message of the large, arrive while
        // its first commit is out.
        var first = Task.WhenAll(large.Select(m => projector.CountAsync(m, default)));
        await AppInstance.EventuallyAsync(() => Task.FromResult(commits.Value), n => n >= 1, what: "the first commit sent");
        var later = Task.WhenAll(rounds.Take(4).SelectMany(m => m).Append(large[0]).Select(m => projector.CountAsync(m, default)));
        var laterCounted = await later;

        // The small rounds were accepted first, so they are counted in the turn's next step: their calls are done while
        // the turn still counts the large round, not after it. Each pledge is credited to one call only.
        Assert.False(first.IsCompleted, "the arrivals waited for the whole turn");
        var counted = (await first).Sum() + laterCounted.Sum();
        Assert.Equal(sent.Count, counted);
        Assert.InRange(commits.Value, 4, 6);
        AssertTotalsMatch(await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "all counted"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaignId));
    }

    [Fact]
    public async Task A_donor_counted_by_another_instance_is_found_when_its_row_turns_out_to_exist()
    {
        var prefix = Azurite.UniquePrefix();
        await using var a = await AppInstance.StartAsync(prefix, listeners: false);
        await using var b = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaignId, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1", perDonorCap: 1500)]))).EnsureSuccessStatusCode();
        var sent = new List<Sent>();
        // Each round: the same five donors give again, and the instances take turns counting them, so each
        // instance meets donors whose rows the other wrote (and whose per-donor cap the other used up).
        for (var round = 0; round < 4; round++)
        {
            var gifts = Enumerable.Range(0, 5).Select(i => new Sent(Projects[(i + round) % 3], 1000, $"1370000{i:0000}")).ToList();
            await PostAllAsync(a, campaignId, gifts);
            foreach (var m in await DrainAsync(a.Get<StorageAccount>(), gifts.Count))
                Assert.Equal(m.Pledges.Count, await (round % 2 == 0 ? a : b).Get<TotalsProjector>().CountAsync(m, default));
            sent.AddRange(gifts);
        }

        var board = await a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
        AssertTotalsMatch(board, sent);
        // Five donors, each capped at 1500 fen of matching.
        Assert.Equal(5 * 1500, board.GetProperty("totals").GetProperty("matched").GetInt64());
    }

    /// <summary>Two instances on one storage, one of them (B, or A) counting its storage reads and commits, and a campaign
    /// without a fund, made through A.</summary>
    private static async Task<TwoInstances> TwoInstancesWithoutFundAsync(bool countOnB)
    {
        var prefix = Azurite.UniquePrefix();
        var reads = new StrongBox<int>();
        var commits = new StrongBox<int>();
        var a = await AppInstance.StartAsync(prefix, listeners: false, services: countOnB ? null : CountCalls(reads, commits));
        var b = await AppInstance.StartAsync(prefix, listeners: false, services: countOnB ? CountCalls(reads, commits) : null);
        var pair = new TwoInstances(a, b, TestCampaigns.NewId(), reads, commits);
        try { (await a.PutCampaignAsync(pair.CampaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode(); }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
        return pair;
    }

    private sealed record TwoInstances(AppInstance A, AppInstance B, string CampaignId, StrongBox<int> Reads, StrongBox<int> Commits) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_donor_row_another_instance_wrote_costs_a_read_of_that_row_and_many_cost_one_read_of_the_step()
    {
        await using var pair = await TwoInstancesWithoutFundAsync(countOnB: true);
        var (a, b, campaignId, reads, commits) = pair;
        // The campaign has no fund: no velocity rows, so nothing tells counting beforehand which donors gave before.
        var sent = Enumerable.Range(0, 12).Select(i => new Sent(Projects[i % 3], 1000 + i, $"1370000{i:0000}")).ToList();
        await PostAllAsync(a, campaignId, sent);
        foreach (var m in await DrainAsync(a.Get<StorageAccount>(), sent.Count)) await a.Get<TotalsProjector>().CountAsync(m, default);
        await b.Get<GivingDay.Campaigns.CampaignStore>().GetAsync(campaignId, default);

        async Task<int> CountOnBAsync(List<Sent> gifts)
        {
            await PostAllAsync(a, campaignId, gifts);
            var messages = await DrainAsync(a.Get<StorageAccount>(), gifts.Count);
            reads.Value = 0; commits.Value = 0;
            // All in one message (as the re-drive queues pledges: without their markers, so their rows are read to find
            // them), so that they are one step whatever batches intake made.
            Assert.Equal(gifts.Count, await b.Get<TotalsProjector>().CountAsync(new PledgeBatchMessage(campaignId, messages.SelectMany(m => m.Pledges).ToList()), default));
            sent.AddRange(gifts);
            return messages.Count;
        }

        // One donor of ten gave before, counted by the other instance: the commit fails on that donor's row, and only that
        // row is read again (besides the pledge rows and their markers, and the totals row this instance has not seen),
        // not every donor, marker and the totals of the step.
        var markers = await CountOnBAsync([new Sent("zaochan", 500, "13700000000"), .. Enumerable.Range(0, 9).Select(i => new Sent(Projects[i % 3], 600, $"1360000{i:0000}"))]);
        Assert.InRange(reads.Value, 10 + markers + 2, 10 + markers + 3);
        Assert.Equal(2, commits.Value);

        // Six of ten gave before: the second failed donor row makes the next try read all the step's donors, so the step
        // commits on its third try, not its seventh.
        _ = await CountOnBAsync([.. Enumerable.Range(1, 6).Select(i => new Sent("weixinyuan", 700, $"1370000{i:0000}")), .. Enumerable.Range(0, 4).Select(i => new Sent("songwanjia", 800, $"1350000{i:0000}"))]);
        Assert.Equal(3, commits.Value);

        AssertTotalsMatch(await AppInstance.EventuallyAsync(() => a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"),
            board => board.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "all counted"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaignId));
    }

    [Fact]
    public async Task A_donor_row_lost_while_more_pledges_wait_sends_that_donor_to_the_next_step_and_the_rest_commit_without_a_read()
    {
        await using var pair = await TwoInstancesWithoutFundAsync(countOnB: true);
        var (a, b, campaignId, reads, commits) = pair;
        // The campaign has no fund: nothing tells b beforehand that the donor gave before.
        var returning = new Sent("zaochan", 500, "13700000000");
        var sent = new List<Sent> { returning };
        await PostAllAsync(a, campaignId, [returning]);
        foreach (var m in await DrainAsync(a.Get<StorageAccount>(), 1)) await a.Get<TotalsProjector>().CountAsync(m, default);

        // The donor gives again, first; then 59 new donors: more than one step holds.
        var again = new Sent("weixinyuan", 600, returning.Contact);
        var newcomers = Enumerable.Range(0, 59).Select(i => new Sent(Projects[i % 3], 700 + i, $"1360000{i:0000}")).ToList();
        var ids = await PostAllAsync(a, campaignId, [again]);
        await PostAllAsync(a, campaignId, newcomers);
        var messages = await DrainAsync(a.Get<StorageAccount>(), 60);
        sent.Add(again);
        sent.AddRange(newcomers);
        reads.Value = 0; commits.Value = 0;
        Assert.Equal(60, await b.Get<TotalsProjector>().CountAsync(new PledgeBatchMessage(campaignId, messages.SelectMany(m => m.Pledges).ToList()), default));

        // b's first try adds the donor's row and loses on it; the second try goes at once without that gift, and the gift is
        // counted in the next step with the rest: three commits, two steps, and the returning gift in the later one.
        Assert.Equal(3, commits.Value);
        var counted = await CountedAtAsync(a.Get<StorageAccount>(), campaignId);
        var steps = messages.SelectMany(m => m.Pledges).Select(p => counted[p.Id]).Distinct().Order().ToList();
        Assert.Equal(2, steps.Count);
        Assert.Equal(steps[1], counted[Assert.Single(ids)]);

        AssertTotalsMatch(await a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaignId));
    }

    [Fact]
    public async Task A_known_donor_row_another_instance_changed_sends_that_donor_to_the_next_step_even_when_nothing_else_waits()
    {
        var (commits, steps, thirdGifts) = await StaleRowsCountedOnBAsync(returning: 1, newcomers: 9);
        // b's first try loses on the totals row (a counted since), and its second on the donor's row, replaced under its stale
        // ETag; the third goes at once without that gift (the newcomers' messages are not held back for the read of the row),
        // which the next step counts with the row read meanwhile: four commits, two steps, the third gift in the later one.
        // (Before, the third try waited for the read and counted all ten: three commits, one step.)
        Assert.Equal(4, commits);
        Assert.Equal(2, steps.Count);
        Assert.Equal(steps[1], Assert.Single(thirdGifts));
    }

    [Fact]
    public async Task A_step_leaves_out_four_donors_whose_known_rows_another_instance_changed_and_reads_all_its_donors_at_the_fifth()
    {
        var (commits, steps, thirdGifts) = await StaleRowsCountedOnBAsync(returning: 6, newcomers: 4);
        // The totals row, then one stale donor row per try: four donors are left out, the fifth lost row makes the next try
        // read all the step's donors, and it commits; the four left out are the next step. Leaving out all six would take
        // nine commits; reading all at the second lost row (before) took four, in one step.
        Assert.Equal(1 + 5 + 1 + 1, commits);
        Assert.Equal(2, steps.Count);
        Assert.Equal(4, thirdGifts.Count(at => at == steps[1]));
        Assert.Equal(2, thirdGifts.Count(at => at == steps[0]));
    }

    /// <summary>b knows the rows of <paramref name="returning"/> donors (it counted their first gifts) and a changes them (it
    /// counts their second); then their third gifts and <paramref name="newcomers"/> first-time donors go to b in one message:
    /// one step holds them all, and nothing else waits. Checks the totals; returns b's commits for that message, the times its
    /// steps counted at (CountedAt, in order) and each third gift's.</summary>
    private static async Task<(int Commits, List<DateTimeOffset> Steps, List<DateTimeOffset> ThirdGifts)> StaleRowsCountedOnBAsync(int returning, int newcomers)
    {
        await using var pair = await TwoInstancesWithoutFundAsync(countOnB: true);
        var (a, b, campaignId, _, commits) = pair;
        List<Sent> Gifts(string project, long amount) => Enumerable.Range(0, returning).Select(i => new Sent(project, amount + i, $"1370000{i:0000}")).ToList();
        var sent = new List<Sent>();
        foreach (var (gifts, counter) in new[] { (Gifts("zaochan", 500), b), (Gifts("weixinyuan", 600), a) })
        {
            await PostAllAsync(a, campaignId, gifts);
            foreach (var m in await DrainAsync(a.Get<StorageAccount>(), gifts.Count)) await counter.Get<TotalsProjector>().CountAsync(m, default);
            sent.AddRange(gifts);
        }
        var third = Gifts("songwanjia", 700);
        var fresh = Enumerable.Range(0, newcomers).Select(i => new Sent(Projects[i % 3], 800 + i, $"1360000{i:0000}")).ToList();
        var ids = await PostAllAsync(a, campaignId, third);
        await PostAllAsync(a, campaignId, fresh);
        var messages = await DrainAsync(a.Get<StorageAccount>(), third.Count + fresh.Count);
        sent.AddRange(third);
        sent.AddRange(fresh);
        commits.Value = 0;
        Assert.Equal(third.Count + fresh.Count, await b.Get<TotalsProjector>().CountAsync(new PledgeBatchMessage(campaignId, messages.SelectMany(m => m.Pledges).ToList()), default));
        var committed = commits.Value;

        AssertTotalsMatch(await a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaignId));
        var counted = await CountedAtAsync(a.Get<StorageAccount>(), campaignId);
        return (committed, messages.SelectMany(m => m.Pledges).Select(p => counted[p.Id]).Distinct().Order().ToList(), ids.Select(id => counted[id]).ToList());
    }

    /// <summary>When each counted pledge of the campaign (of a one-shard campaign) was counted, by pledge id.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> CountedAtAsync(StorageAccount account, string campaignId)
    {
        var counted = new Dictionary<string, DateTimeOffset>();
        await foreach (var row in account.Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter(
            $"PartitionKey eq {campaignId} and RowKey ge {LedgerKeys.Pledge("")} and RowKey lt {LedgerKeys.Pledge("~")}")))
            if (row.GetDateTimeOffset("CountedAt") is { } at) counted[row.RowKey[LedgerKeys.Pledge("").Length..]] = at;
        return counted;
    }

    [Fact]
    public async Task Returning_donors_whose_rows_this_instance_knows_are_not_read_ahead_while_it_counts_the_shard_alone()
    {
        var commits = new StrongBox<int>();
        await using var app = await SlowCommitsAsync(commits);
        var campaignId = TestCampaigns.NewId();
        // A fund: intake keeps velocity rows, so a message says which of its donors gave before.
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 10_000_000)]))).EnsureSuccessStatusCode();
        var projector = app.Get<TotalsProjector>();
        async Task<List<PledgeBatchMessage>> TakeAsync(List<Sent> gifts)
        {
            await PostAllAsync(app, campaignId, gifts);
            return await DrainAsync(app.Get<StorageAccount>(), gifts.Count);
        }
        // Six donors give and are counted: this instance wrote their rows and knows them.
        var returning = Enumerable.Range(0, 6).Select(i => new Sent(Projects[i % 3], 1000, $"1340000{i:0000}")).ToList();
        foreach (var m in await TakeAsync(returning)) await projector.CountAsync(m, default);
        // A large round (several steps), then the six again beside new donors, arriving while the first commit is out: they
        // are in a later step of the same turn, whose donors who gave before are read with the commit before it.
        var largeGifts = Enumerable.Range(0, 150).Select(i => new Sent(Projects[i % 3], 1000 + i, $"1330000{i:0000}")).ToList();
        var large = await TakeAsync(largeGifts);
        var again = returning.Select(r => r with { Amount = 2000 }).Concat(Enumerable.Range(0, 6).Select(i => new Sent(Projects[i % 3], 500, $"1320000{i:0000}"))).ToList();
        var later = await TakeAsync(again);
        Assert.Contains(later, m => m.CreatedActivity is { Count: > 0 });
        using var donorReads = new DonorRowReads(campaignId);
        commits.Value = 0;

        var first = Task.WhenAll(large.Select(m => projector.CountAsync(m, default)));
        await AppInstance.EventuallyAsync(() => Task.FromResult(commits.Value), n => n >= 1, what: "the first commit sent");
        var counted = (await Task.WhenAll(later.Select(m => projector.CountAsync(m, default)))).Sum() + (await first).Sum();

        Assert.Equal(largeGifts.Count + again.Count, counted);
        // Their rows as this instance last committed them are current (nobody else counts the shard): no read of them.
        Assert.Equal(0, donorReads.Count);
        var sent = returning.Concat(largeGifts).Concat(again).ToList();
        AssertTotalsMatch(await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "all counted"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaignId));
    }

    /// <summary>Counts this process's HTTP reads of one campaign's donor rows (<c>d|</c>), as sent to the storage.</summary>
    private sealed class DonorRowReads : IDisposable
    {
        private readonly ActivityListener _listener;
        private int _count;

        public DonorRowReads(string campaignId)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "System.Net.Http",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = a =>
                {
                    if (a.GetTagItem("http.request.method") as string == "GET" && a.GetTagItem("url.full") is string url
                        && Uri.UnescapeDataString(url).Contains($"(PartitionKey='{campaignId}',RowKey='{LedgerKeys.Donor("")}", StringComparison.Ordinal))
                        Interlocked.Increment(ref _count);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count => Volatile.Read(ref _count);
        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_returning_gift_that_changes_nothing_in_the_donors_row_commits_over_another_instances_change_to_that_row()
    {
        await using var pair = await TwoInstancesWithoutFundAsync(countOnB: false);
        var (a, b, campaignId, reads, commits) = pair;
        // The campaign has no fund: nothing is matched, so a donor's row changes only when they give to a project new to them.
        var sent = new List<Sent>();
        async Task CountOnAsync(AppInstance counter, Sent gift)
        {
            await PostAllAsync(a, campaignId, [gift]);
            var messages = await DrainAsync(a.Get<StorageAccount>(), 1);
            reads.Value = 0; commits.Value = 0;
            Assert.Equal(1, await counter.Get<TotalsProjector>().CountAsync(messages.Single(), default));
            sent.Add(gift);
        }

        const string contact = "13700000001";
        await CountOnAsync(a, new Sent("zaochan", 1000, contact));
        // b adds a project to the donor's row: a's copy of it is now stale, and so is its copy of the totals row.
        await CountOnAsync(b, new Sent("weixinyuan", 2000, contact));
        // The donor gives again to a project a knows they gave to: their row would be written as it is, so it is left out.
        // The first try loses on the totals row only, and the second commits; writing the row would have lost a third try
        // on it.
        await CountOnAsync(a, new Sent("zaochan", 3000, contact));
        Assert.Equal(2, commits.Value);

        AssertTotalsMatch(await a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard"), sent);
        var donorRows = await a.Get<StorageAccount>().Table(StorageNames.LedgerTable)
            .QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {LedgerKeys.Donor("")} and RowKey lt {"d}"}")).ToListAsync();
        Assert.Equal("[\"weixinyuan\",\"zaochan\"]", Assert.Single(donorRows).GetString("Projects"));
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaignId));
    }

    [Fact]
    public async Task Pledges_stored_with_a_marker_each_before_markers_were_per_batch_are_counted_once()
    {
        // As the ledger was before: a marker per pledge, named by the pledge id, and pledge rows without "Marker".
        var prefix = Azurite.UniquePrefix();
        await using var app = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var ledger = app.Get<StorageAccount>().Table(StorageNames.LedgerTable);
        var now = DateTimeOffset.UtcNow;
        var pledges = Enumerable.Range(0, 6).Select(i => new Pledge($"old{i:00}", campaignId, Projects[i % 3], new GivingDay.Amounts.Money(1000 + i),
            i % 2 == 0 ? null : $"donor{i}", "王*", "加油", Channels.Online, now.AddSeconds(-40 + i), "fp")).ToList();
        foreach (var p in pledges)
            await ledger.SubmitTransactionAsync([
                new(Azure.Data.Tables.TableTransactionActionType.Add, PledgeRows.ToRow(p)),
                new(Azure.Data.Tables.TableTransactionActionType.Add, new Azure.Data.Tables.TableEntity(campaignId, "q|" + p.Id) { ["AcceptedAt"] = p.AcceptedAt }),
            ]);
        var projector = app.Get<TotalsProjector>();

        // An old message (no marker), and the re-drive's message for each old marker.
        Assert.Equal(3, await projector.CountAsync(new PledgeBatchMessage(campaignId, pledges.Take(3).ToList()), default));
        Assert.Equal(3, await app.Get<PledgeRedrive>().RequeueStaleAsync(default, olderThan: TimeSpan.Zero));
        var counted = 0;
        foreach (var m in await DrainAsync(app.Get<StorageAccount>(), 3)) counted += await projector.CountAsync(m, default);
        Assert.Equal(3, counted);
        // Delivered again: nothing more.
        Assert.Equal(0, await projector.CountAsync(new PledgeBatchMessage(campaignId, pledges), default));

        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaignId));
        var board = await app.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
        Assert.Equal(pledges.Sum(p => p.Amount.Fen), board.GetProperty("totals").GetProperty("raised").GetInt64());
        Assert.Equal(6, board.GetProperty("totals").GetProperty("pledges").GetInt64());
        Assert.Equal(6, board.GetProperty("totals").GetProperty("donors").GetInt64());
    }

    [Fact]
    public async Task Two_instances_counting_different_messages_at_once_keep_exact_totals_and_donors()
    {
        // Each instance's commits make the other's totals row stale (and sometimes its donor rows): every lost race
        // must be read again to the right depth, never trusted.
        var prefix = Azurite.UniquePrefix();
        await using var a = await AppInstance.StartAsync(prefix, listeners: false);
        await using var b = await AppInstance.StartAsync(prefix, listeners: false);
        var campaignId = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaignId, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 50_000, "1", perDonorCap: 3_000)]))).EnsureSuccessStatusCode();
        var sent = Crowd(180, seed: 23);
        await PostAllAsync(a, campaignId, sent);
        var messages = await DrainAsync(a.Get<StorageAccount>(), sent.Count);

        var counted = await Task.WhenAll(messages.Select((m, i) => (i % 2 == 0 ? a : b).Get<TotalsProjector>().CountAsync(m, default)));

        Assert.Equal(sent.Count, counted.Sum());
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaignId));
        var board = await a.GetJsonAsync($"/api/campaigns/{campaignId}/leaderboard");
        AssertTotalsMatch(board, sent);
        Assert.True(board.GetProperty("totals").GetProperty("matched").GetInt64() <= 50_000);
    }
}
