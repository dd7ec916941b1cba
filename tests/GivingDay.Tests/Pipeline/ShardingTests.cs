using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Pledges;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Totals;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Pipeline;

/// <summary>A campaign split into counting shards (docs/storage.md, "Past one partition"), against Azurite: several shards
/// and instances count the same messages exactly once, a pool shared by the shards is used to the fen and never past it,
/// an Idempotency-Key means one gift whatever shard its donor is in, and the shard count is fixed once a campaign is live.</summary>
public class ShardingTests
{
    [Fact]
    public async Task Four_shards_counted_by_three_instances_from_triplicated_messages_with_faults_give_exact_totals_and_donors()
    {
        var prefix = Azurite.UniquePrefix();
        await using var intake = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        var put = await intake.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 50_000_000, "1", perDonorCap: 20_000)], shards: 4));
        put.EnsureSuccessStatusCode();
        Assert.Equal(4, (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("shards").GetInt32());
        var sent = Crowd(300, seed: 11);
        await PostAllAsync(intake, campaign, sent);
        var messages = await DrainAsync(intake.Get<StorageAccount>(), sent.Count);
        // Intake queues a flush as one message in parts by shard (its marker each), not a message per shard: every shard has
        // work, and the messages are fewer than their parts.
        var parts = messages.SelectMany(m => m.ByShard()).ToList();
        Assert.Equal([0, 1, 2, 3], parts.Select(m => m.Shard).Distinct().Order());
        Assert.True(messages.Count < parts.Count, $"{messages.Count} messages for {parts.Count} parts");
        Assert.All(parts, p => Assert.NotNull(p.Marker));
        Assert.All(parts, p => Assert.All(p.Pledges, pledge => Assert.Equal(p.Shard, ShardLayout.ShardOf(pledge, 4))));

        await CountWithRedeliveryAndFaultsAsync(prefix, messages);

        var board = await intake.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");
        AssertTotalsMatch(board, sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(intake.Get<StorageAccount>(), campaign));
        var rows = await PledgeRowsAsync(intake.Get<StorageAccount>(), campaign);
        Assert.Equal(sent.Count, rows.Count);
        Assert.All(rows, r => Assert.True(r.Counted));
        // A donor is in one shard: the one their contact hash gives; a gift without a contact, the one its id gives.
        Assert.All(rows, r => Assert.Equal(ShardLayout.ShardOf(new Pledge(r.Id, campaign, r.ProjectId, new(r.Amount), r.DonorHash, null, null, "online", default, ""), 4),
            ShardLayout.ShardOf(r.Partition)));
        Assert.All(rows.Where(r => r.DonorHash is not null).GroupBy(r => r.DonorHash), d => Assert.Single(d.Select(r => r.Partition).Distinct()));
        Assert.Equal(board.GetProperty("totals").GetProperty("matched").GetInt64(), rows.Sum(r => r.Matched));
        Assert.All(rows.Where(r => r.DonorHash is not null).GroupBy(r => r.DonorHash), d => Assert.True(d.Sum(r => r.Matched) <= 20_000));
    }

    [Fact]
    public async Task A_pool_shared_by_four_shards_is_used_to_exactly_zero_and_never_past_it_with_donor_caps_held()
    {
        var prefix = Azurite.UniquePrefix();
        await using var intake = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        const long pool = 123_457; // odd on purpose: the last match is partial
        (await intake.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", pool, "1", perDonorCap: 9_000)], shards: 4))).EnsureSuccessStatusCode();

        // 240 pledges from 48 donors (5 each, in rounds so the velocity rule does not apply): demand far above the pool.
        var sent = Enumerable.Range(0, 240).Select(i => new Sent(Projects[i % 3], 1000 + i * 10, $"1370000{i % 48:0000}")).ToList();
        for (var round = 0; round < 5; round++)
            await PostAllAsync(intake, campaign, sent.Skip(round * 48).Take(48).ToList());
        var messages = await DrainAsync(intake.Get<StorageAccount>(), sent.Count);
        Assert.True(messages.SelectMany(m => m.ByShard()).Select(m => m.Shard).Distinct().Count() >= 3, "the donors spread over the shards");

        await CountWithRedeliveryAndFaultsAsync(prefix, messages);

        var rows = await PledgeRowsAsync(intake.Get<StorageAccount>(), campaign);
        Assert.Equal(sent.Count, rows.Count);
        Assert.Equal(pool, rows.Sum(r => r.Matched));
        Assert.All(rows.GroupBy(r => r.DonorHash), d => Assert.True(d.Sum(r => r.Matched) <= 9_000, $"donor over cap: {d.Sum(r => r.Matched)}"));
        Assert.All(rows, r => Assert.True(r.Matched <= r.Amount));
        // More than one shard matched from the pool: it was shared, not handed to one shard.
        Assert.True(rows.Where(r => r.Matched > 0).Select(r => r.Partition).Distinct().Count() >= 2);

        // The fund row agrees: what the shards hold (allotted, not returned) is what they matched, and no more than the pool.
        var (funds, _) = await intake.Get<FundAllotments>().ReadAsync(campaign, default);
        Assert.Equal(pool, funds["aixin"].Pool);
        Assert.InRange(funds["aixin"].Reserved, pool, pool);

        var board = await intake.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");
        Assert.Equal(0, board.GetProperty("funds")[0].GetProperty("remaining").GetInt64());
        Assert.Equal(pool, board.GetProperty("totals").GetProperty("matched").GetInt64());
        AssertTotalsMatch(board, sent);
    }

    [Fact]
    public async Task Two_instances_counting_one_shard_settle_on_lanes_of_their_own_and_readers_add_the_lanes_up()
    {
        var prefix = Azurite.UniquePrefix();
        await using var a = await AppInstance.StartAsync(prefix, listeners: false);
        await using var b = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1", perDonorCap: 3_000)], shards: 2))).EnsureSuccessStatusCode();
        // Donors of shard 0 only, so every message is that shard's; the last three rounds' donors gave in an earlier round,
        // counted by the other instance (their rows are shared by the lanes).
        var donors = ContactsInShard(a, campaign, shards: 2, shard: 0, "1380000", 25);
        var sent = new List<Sent>();
        // The instances take turns counting the shard: the second meets the first's row, then the first meets the second's.
        // The one that loses the row moves to another lane; after that neither loses again, so no third lane appears.
        for (var round = 0; round < 8; round++)
        {
            var gifts = Enumerable.Range(0, 5).Select(i => new Sent(Projects[(i + round) % 3], 2000 + 100 * round, donors[(round * 5 + i) % donors.Count])).ToList();
            await PostAllAsync(a, campaign, gifts);
            var messages = await DrainAsync(a.Get<StorageAccount>(), gifts.Count);
            Assert.All(messages.SelectMany(m => m.ByShard()), m => Assert.Equal(0, m.Shard));
            foreach (var m in messages)
                Assert.Equal(m.Pledges.Count, await (round % 2 == 0 ? a : b).Get<TotalsProjector>().CountAsync(m, default));
            sent.AddRange(gifts);
        }

        var lanes = await TotalsRowsAsync(a, campaign);
        // Each started on a lane at random; if both took the same one, one lost it and moved. Either way two lanes.
        Assert.Equal(2, lanes.Count);
        Assert.All(lanes, r => Assert.Matches(@"^state(\|[1-3])?$", r.RowKey));
        // Both lanes counted, and each matched only from its own allotment in the fund row (lane 0 holds as "0", lane k as "0.k").
        var states = lanes.Select(r => TotalsState.FromRow(r).State).ToList();
        var (funds, _) = await a.Get<FundAllotments>().ReadAsync(campaign, default);
        Assert.All(lanes, r =>
        {
            var state = TotalsState.FromRow(r).State;
            var holder = FundShares.Key(0, Enumerable.Range(0, ShardLayout.Lanes).Single(lane => LedgerKeys.StateOf(lane) == r.RowKey));
            Assert.True(state.Totals.Pledges > 0);
            Assert.True(funds["aixin"].AllottedTo(holder) > 0);
            Assert.True(state.Used("aixin") <= funds["aixin"].AllottedTo(holder), $"lane {r.RowKey} used {state.Used("aixin")} of {funds["aixin"].AllottedTo(holder)}");
        });

        // Readers add the lanes up: exact totals, donors counted once though their gifts were counted in both lanes.
        var board = await a.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard");
        AssertTotalsMatch(board, sent);
        var rows = await PledgeRowsAsync(a.Get<StorageAccount>(), campaign);
        Assert.Equal(rows.Sum(r => r.Matched), board.GetProperty("totals").GetProperty("matched").GetInt64());
        Assert.Equal(states.Sum(s => s.Totals.Matched), rows.Sum(r => r.Matched));
        Assert.All(rows.GroupBy(r => r.DonorHash), d => Assert.True(d.Sum(r => r.Matched) <= 3_000));
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaign));
    }

    /// <summary>Every totals row ("state", "state|k") in shard 0's partition of the campaign.</summary>
    private static async Task<List<TableEntity>> TotalsRowsAsync(AppInstance app, string campaign)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in app.Get<StorageAccount>().Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(r =>
            r.PartitionKey == campaign && r.RowKey.CompareTo(LedgerKeys.State) >= 0 && r.RowKey.CompareTo(LedgerKeys.State + "}") < 0))
            rows.Add(row);
        return rows;
    }

    [Fact]
    public async Task An_instance_starts_on_a_lane_of_a_shard_at_random()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var counted = new HashSet<string>();
        // Twelve campaigns, each counted for the first time: each lane this instance counted shard 0 on.
        for (var i = 0; i < 12; i++)
        {
            var campaign = TestCampaigns.NewId();
            (await app.PutCampaignAsync(campaign, TestCampaigns.Definition(shards: 2))).EnsureSuccessStatusCode();
            await PostAllAsync(app, campaign, [new Sent("zaochan", 1000, ContactsInShard(app, campaign, shards: 2, shard: 0, "1380000", 1)[0])]);
            foreach (var m in await DrainAsync(app.Get<StorageAccount>(), 1)) Assert.Equal(1, await app.Get<TotalsProjector>().CountAsync(m, default));
            counted.UnionWith((await TotalsRowsAsync(app, campaign)).Where(row => TotalsState.FromRow(row).State.Totals.Pledges > 0).Select(row => row.RowKey));
        }
        // Always the same lane (lane 0, as it used to be) would put two instances started together on one row; twelve
        // random starts all on one of four lanes would happen once in four million runs.
        Assert.True(counted.Count > 1, $"lanes counted on: {string.Join(", ", counted)}");
        Assert.All(counted, lane => Assert.Matches(@"^state(\|[1-3])?$", lane));
    }

    [Fact]
    public async Task While_another_instance_counts_a_shard_too_the_rows_of_donors_who_gave_before_are_read_as_their_messages_arrive()
    {
        var prefix = Azurite.UniquePrefix();
        var reads = new System.Runtime.CompilerServices.StrongBox<int>();
        var commits = new System.Runtime.CompilerServices.StrongBox<int>();
        await using var a = await AppInstance.StartAsync(prefix, listeners: false, services: CountCalls(reads, commits));
        await using var b = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        (await a.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1")], shards: 2))).EnsureSuccessStatusCode();
        var inShard0 = ContactsInShard(a, campaign, shards: 2, shard: 0, "1390000", 20);
        var returning = inShard0.Take(5).ToList();
        var sent = new List<Sent>();

        // Each round: the five returning donors give again, with one new donor; counted as one message (one step), which
        // says whose velocity row each pledge created, so counting knows the five gave before.
        async Task<int> RoundAsync(int round, AppInstance counter)
        {
            List<Sent> gifts = [.. returning.Select((c, i) => new Sent(Projects[(i + round) % 3], 1000 + 100 * round, c)), new("zaochan", 500, inShard0[10 + round])];
            await PostAllAsync(a, campaign, gifts);
            var messages = await DrainAsync(a.Get<StorageAccount>(), gifts.Count);
            var created = messages.SelectMany(m => m.ByShard()).SelectMany(m => m.CreatedActivity ?? new Dictionary<string, string>()).ToDictionary();
            reads.Value = 0; commits.Value = 0;
            Assert.Equal(gifts.Count, await counter.Get<TotalsProjector>().CountAsync(
                new PledgeBatchMessage(campaign, messages.SelectMany(m => m.Pledges).ToList(), CreatedActivity: created), default));
            sent.AddRange(gifts);
            return commits.Value;
        }

        // a counts first gifts; b the second ones; a the third: a's view of the lane and of the five rows is stale, so it
        // loses races (and so learns that another instance counts this shard); b the fourth, changing the five rows again.
        await RoundAsync(0, a);
        await RoundAsync(1, b);
        Assert.True(await RoundAsync(2, a) > 1, "a's stale view lost at least one race");
        await RoundAsync(3, b);
        // Fifth: a reads the five rows as the message arrives, so its first commit holds. Without that read, its rows known
        // from the third round would fail the commit.
        Assert.Equal(1, await RoundAsync(4, a));

        AssertTotalsMatch(await a.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(a.Get<StorageAccount>(), campaign));
    }

    [Fact]
    public async Task Draws_of_one_instance_for_eight_lanes_at_once_share_the_fund_rows_reads_and_writes_and_stay_within_the_pool()
    {
        var reads = new System.Runtime.CompilerServices.StrongBox<int>();
        var commits = new System.Runtime.CompilerServices.StrongBox<int>();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false, services: CountCalls(reads, commits));
        var campaignId = TestCampaigns.NewId();
        const long pool = 1_000_000;
        (await app.PutCampaignAsync(campaignId, TestCampaigns.Definition([TestCampaigns.Fund("aixin", pool, "1")], shards: 4))).EnsureSuccessStatusCode();
        var campaign = (await app.Get<GivingDay.Campaigns.CampaignStore>().GetAsync(campaignId, default))!;
        var holders = Enumerable.Range(0, 4).SelectMany(shard => new[] { FundShares.Key(shard, 0), FundShares.Key(shard, 1) }).ToList();
        var before = reads.Value;

        // Eight lanes of four shards start at once, as an instance's shards do when a backlog arrives.
        var allotments = app.Get<FundAllotments>();
        var drawn = await Task.WhenAll(holders.Select(h => allotments.DrawAsync(campaign, h, new Dictionary<string, long> { ["aixin"] = 10_000 }, new TotalsState(), default)));

        // The first draw goes alone and the seven that waited for it go together: two reads and two writes of the fund row,
        // where eight draws racing for it would take at least sixteen calls.
        Assert.Equal(4, reads.Value - before);
        Assert.All(drawn, d => Assert.True(d["aixin"] >= 10_000, $"allotted {d["aixin"]}"));
        var (funds, _) = await allotments.ReadAsync(campaignId, default);
        Assert.Equal(holders.Order(), funds["aixin"].Allotted.Keys.Order());
        Assert.Equal(funds["aixin"].Allotted.Values.Sum(), funds["aixin"].Reserved);
        Assert.True(funds["aixin"].Reserved <= pool, $"reserved {funds["aixin"].Reserved} of {pool}");
        Assert.Equal(holders.Select(h => funds["aixin"].AllottedTo(h)), drawn.Select(d => d["aixin"]));
    }

    [Fact]
    public async Task A_pool_is_lowered_to_what_the_shards_matched_after_taking_back_what_they_hold_unused()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1")], shards: 4))).EnsureSuccessStatusCode();
        var sent = Enumerable.Range(0, 12).Select(i => new Sent(Projects[i % 3], 5000, $"1390000{i:0000}")).ToList();
        var ids = await PostAllAsync(app, campaign, sent);
        foreach (var id in ids)
            await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{id}"), s => s.GetProperty("status").GetString() == "counted");
        const long matched = 12 * 5000;
        // The shards drew grants with headroom: they hold more than they matched.
        Assert.True((await app.Get<FundAllotments>().ReadAsync(campaign, default)).Funds["aixin"].Reserved > matched);

        var below = await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", matched - 1, "1")], shards: 4));
        Assert.Equal(HttpStatusCode.BadRequest, below.StatusCode);
        Assert.True((await below.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("matchingFunds[0].pool", out _));

        var exact = await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", matched, "1")], shards: 4));
        Assert.Equal(HttpStatusCode.OK, exact.StatusCode);
        Assert.Equal(0, (await exact.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matchingFunds")[0].GetProperty("remaining").GetInt64());
        var (funds, _) = await app.Get<FundAllotments>().ReadAsync(campaign, default);
        Assert.Equal(matched, funds["aixin"].Reserved);

        // Nothing is left to match: the next gift is counted without a match.
        var more = await PostAllAsync(app, campaign, [new Sent("zaochan", 3000, "13900009999")]);
        var status = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{more[0]}"), s => s.GetProperty("status").GetString() == "counted");
        Assert.Equal(0, status.GetProperty("matched").GetInt64());
        Assert.Equal(matched, (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("matched").GetInt64());
    }

    [Fact]
    public async Task An_idempotency_key_sent_again_with_another_contact_meets_its_first_gift_in_another_shard()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition(shards: 8))).EnsureSuccessStatusCode();
        var identity = app.Get<DonorIdentity>();
        // Two contacts whose donors are in different shards.
        var first = "13800000001";
        var other = Enumerable.Range(2, 100).Select(i => $"138000000{i:00}")
            .First(c => ShardLayout.ShardOf(Donor(c), 8) != ShardLayout.ShardOf(Donor(first), 8));
        Pledge Donor(string contact) => new("x", campaign, "zaochan", new(100), identity.ContactHash(contact), null, null, "online", default, "");

        var body = new { projectId = "zaochan", amount = 5000, donor = new { name = "李雷", contact = first } };
        using var accepted = await app.PledgeAsync(campaign, body, idempotencyKey: "same-key-1");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!;
        using var again = await app.PledgeAsync(campaign, body, idempotencyKey: "same-key-1");
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString());

        using var reused = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000, donor = new { name = "李雷", contact = other } }, idempotencyKey: "same-key-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal("idempotency.key_reused", (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // One gift, found by its id in whatever shard it is.
        var status = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{id}"), s => s.GetProperty("status").GetString() == "counted");
        Assert.Equal(5000, status.GetProperty("amount").GetInt64());
        await app.SettledAsync(campaign);
        Assert.Single(await PledgeRowsAsync(app.Get<StorageAccount>(), campaign));
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "the gift counted once");
    }

    [Fact]
    public async Task The_shard_count_changes_before_the_start_but_is_refused_once_live_naming_the_field_and_changing_nothing()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var upcoming = TestCampaigns.NewId();
        var later = DateTimeOffset.UtcNow.AddDays(1);
        (await app.PutCampaignAsync(upcoming, TestCampaigns.Definition(startsAt: later, endsAt: later.AddDays(1)))).EnsureSuccessStatusCode();
        var changed = await app.PutCampaignAsync(upcoming, TestCampaigns.Definition(startsAt: later, endsAt: later.AddDays(1), shards: 4));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(4, (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("shards").GetInt32());

        var live = TestCampaigns.NewId();
        (await app.PutCampaignAsync(live, TestCampaigns.Definition(shards: 2))).EnsureSuccessStatusCode();
        var sent = Crowd(30, seed: 5);
        await PostAllAsync(app, live, sent);
        var refused = await app.PutCampaignAsync(live, TestCampaigns.Definition(shards: 4));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("shards.fixed", problem.GetProperty("codes").GetProperty("shards")[0].GetString());
        var dryRun = await app.Http.SendAsync(app.Organiser(HttpMethod.Put, $"/api/organiser/campaigns/{live}?dryRun=true", JsonContent.Create(TestCampaigns.Definition(shards: 1))));
        Assert.Equal(HttpStatusCode.BadRequest, dryRun.StatusCode);

        Assert.Equal(2, (await app.GetJsonAsync($"/api/campaigns/{live}")).GetProperty("shards").GetInt32());
        // A definition without the setting (a client that does not know it, the console's form) keeps the count.
        var kept = await app.PutCampaignAsync(live, TestCampaigns.Definition());
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(2, (await kept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("shards").GetInt32());
        // The leaderboard reads the totals at most every half second: wait until it shows every gift.
        var board = await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{live}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "every gift counted");
        AssertTotalsMatch(board, sent);
    }

    [Fact]
    public async Task A_campaign_moved_back_before_its_start_keeps_its_shard_count_once_it_has_gifts()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition(shards: 2))).EnsureSuccessStatusCode();
        await PostAllAsync(app, campaign, Crowd(6, seed: 9));
        // Not started any more (its start moved to tomorrow), but it has gifts stored in its two shards.
        var later = DateTimeOffset.UtcNow.AddDays(1);
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition(startsAt: later, endsAt: later.AddDays(1)))).EnsureSuccessStatusCode();
        Assert.Equal("draft", (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("status").GetString());

        var refused = await app.PutCampaignAsync(campaign, TestCampaigns.Definition(startsAt: later, endsAt: later.AddDays(1), shards: 1));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("shards.fixed", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("codes").GetProperty("shards")[0].GetString());
        Assert.Equal(2, (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("shards").GetInt32());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("17")]
    [InlineData("2.5")]
    [InlineData("\"4\"")]
    public async Task A_shard_count_out_of_range_is_refused_naming_the_field(string shards)
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId();
        var definition = (Dictionary<string, object?>)TestCampaigns.Definition();
        definition["shards"] = JsonDocument.Parse(shards).RootElement;
        var response = await app.Http.SendAsync(app.Organiser(HttpMethod.Put, $"/api/organiser/campaigns/{campaign}",
            new StringContent(JsonSerializer.Serialize(definition), System.Text.Encoding.UTF8, "application/json")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("shards.out_of_range", problem.GetProperty("codes").GetProperty("shards")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{campaign}")).StatusCode);
    }

    [Fact]
    public async Task A_message_whose_part_fails_is_counted_again_whole_and_its_other_parts_count_once()
    {
        var prefix = Azurite.UniquePrefix();
        await using var app = await AppInstance.StartAsync(prefix, listeners: false);
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 1_000_000, "1")], shards: 4))).EnsureSuccessStatusCode();
        var sent = Crowd(40, seed: 21);
        await PostAllAsync(app, campaign, sent);
        var parts = (await DrainAsync(app.Get<StorageAccount>(), sent.Count)).SelectMany(m => m.ByShard()).ToList();
        var whole = new PledgeBatchMessage(campaign, parts.SelectMany(p => p.Pledges).ToList(),
            Parts: parts.Select(p => new ShardPart(p.Shard, p.Marker, p.Pledges.Count)).ToList());
        // The same message as delivered by a counting instance that cannot count one of its parts (a shard the campaign lacks):
        // the message fails, after its other parts are counted.
        var broken = whole with { Parts = [.. whole.Parts!.Take(whole.Parts!.Count - 1), whole.Parts![^1] with { Shard = 9 }] };
        var projector = app.Get<TotalsProjector>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => projector.CountAsync(broken, default));
        var last = parts[^1].Pledges.Count;
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            board => board.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count - last, what: "the other parts counted");
        // Delivered again (whole): only the part left is counted; delivered once more, nothing.
        Assert.Equal(last, await projector.CountAsync(whole, default));
        Assert.Equal(0, await projector.CountAsync(whole, default));
        AssertTotalsMatch(await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            board => board.GetProperty("totals").GetProperty("pledges").GetInt64() == sent.Count, what: "all counted"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaign));
    }

    [Fact]
    public void A_message_in_parts_reads_as_one_message_per_shard_and_one_whose_parts_do_not_add_up_is_refused()
    {
        static Pledge Gift(string id, string? donor) => new(id, "c", "zaochan", new(100), donor, null, null, "online", default, "");
        List<Pledge> pledges = [Gift("p1", "d1"), Gift("p2", "d2"), Gift("p3", "d3"), Gift("p4", null)];
        var created = new Dictionary<string, string> { ["p1"] = "e1", ["p3"] = "e3" };
        var message = new PledgeBatchMessage("c", pledges, TraceParent: "t", CreatedActivity: created,
            Parts: [new ShardPart(2, new MarkerRef("m2", "x2"), 3), new ShardPart(0, new MarkerRef("m0", "x0"), 1)]);
        var text = PledgeIntake.MessageText(message);
        var parts = JsonSerializer.Deserialize<PledgeBatchMessage>(text, GivingDay.Json.GivingDayJson.Options)!.ByShard();

        Assert.Equal([2, 0], parts.Select(p => p.Shard));
        Assert.Equal(["p1", "p2", "p3"], parts[0].Pledges.Select(p => p.Id));
        Assert.Equal(["p4"], parts[1].Pledges.Select(p => p.Id));
        Assert.Equal(new MarkerRef("m2", "x2"), parts[0].Marker);
        Assert.Equal(new MarkerRef("m0", "x0"), parts[1].Marker);
        Assert.All(parts, p => Assert.Equal("t", p.TraceParent));
        // Each part keeps the created rows of its own pledges; a part with none keeps an empty map (the message vouched for all).
        Assert.Equal(["p1", "p3"], parts[0].CreatedActivity!.Keys.Order());
        Assert.Empty(parts[1].CreatedActivity!);
        // A message without parts (as queued before parts, or of one part) is its own one part.
        var plain = new PledgeBatchMessage("c", pledges, Shard: 1);
        Assert.Same(plain, Assert.Single(plain.ByShard()));
        var legacy = JsonSerializer.Deserialize<PledgeBatchMessage>("{\"campaignId\":\"c\",\"pledges\":[],\"marker\":{\"id\":\"m\",\"eTag\":\"e\"},\"shard\":3}",
            GivingDay.Json.GivingDayJson.Options)!;
        Assert.Null(legacy.Parts);
        Assert.Equal((3, "m"), (Assert.Single(legacy.ByShard()).Shard, legacy.ByShard()[0].Marker!.Id));
        // A part queued again without its marker vouches for no velocity row: the message's map is this flush's.
        var requeued = message with { Parts = [new ShardPart(2, new MarkerRef("m2", "x2"), 3), new ShardPart(2, null, 1)] };
        Assert.Null(requeued.ByShard()[1].CreatedActivity);

        var broken = message with { Parts = [new ShardPart(2, null, 3)] };
        Assert.Contains("parts of 3", Assert.Throws<InvalidOperationException>(() => broken.ByShard()).Message);
        Assert.Throws<InvalidOperationException>(() => (message with { Parts = [new ShardPart(2, null, 5), new ShardPart(0, null, -1)] }).ByShard());
    }
}
