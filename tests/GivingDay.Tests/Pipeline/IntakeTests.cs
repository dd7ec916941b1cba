using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using GivingDay.Totals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Pipeline;

/// <summary>Idempotency-Key and the gap between storing and queueing.</summary>
public class IntakeTests
{
    private static async Task<(AppInstance App, string Campaign)> StartAsync(Action<IServiceCollection>? services = null)
    {
        var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), services: services, listeners: false);
        var id = TestCampaigns.NewId();
        (await app.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        return (app, id);
    }

    private static async Task<int> PledgeRowsAsync(AppInstance app, string campaignId)
    {
        var n = 0;
        await foreach (var _ in app.Get<StorageAccount>().Table(StorageNames.LedgerTable).QueryAsync<Azure.Data.Tables.TableEntity>(
            Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {"p|"} and RowKey lt {"p}"}"))) n++;
        return n;
    }

    [Fact]
    public async Task Same_key_and_same_body_gets_the_same_answer_and_one_pledge()
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var body = new { projectId = "zaochan", amount = 5000, donor = new { name = "李四", contact = "13900139000" } };
        var first = await app.PledgeAsync(campaign, body, "double-click-1");
        var second = await app.PledgeAsync(campaign, body, "double-click-1");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(1, await PledgeRowsAsync(app, campaign));
    }

    [Fact]
    public async Task Same_request_spelled_differently_is_the_same_request()
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var first = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000, donor = new { contact = "138 0013 8000" } }, "k1");
        var second = await app.PledgeAsync(campaign, new { amount = 5000, projectId = "zaochan", donor = new { contact = "+86 13800138000" } }, "k1");
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(6000, "13800138000", null)]
    [InlineData(5000, "13800138001", null)]
    [InlineData(5000, "13800138000", "another message")]
    public async Task Same_key_with_another_body_is_422_and_adds_nothing(long amount, string contact, string? message)
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000, donor = new { contact = "13800138000" } }, "k")).StatusCode);
        var again = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount, donor = new { contact }, message }, "k");
        Assert.Equal((HttpStatusCode)422, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await PledgeRowsAsync(app, campaign));
    }

    [Fact]
    public async Task Same_key_in_two_campaigns_is_two_pledges()
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var other = TestCampaigns.NewId();
        (await app.PutCampaignAsync(other, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var a = await (await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000 }, "shared")).Content.ReadFromJsonAsync<JsonElement>();
        var b = await (await app.PledgeAsync(other, new { projectId = "zaochan", amount = 5000 }, "shared")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, await PledgeRowsAsync(app, campaign));
        Assert.Equal(1, await PledgeRowsAsync(app, other));
        Assert.NotNull(a.GetProperty("pledgeId").GetString());
        Assert.NotNull(b.GetProperty("pledgeId").GetString());
    }

    [Fact]
    public async Task Fifty_concurrent_identical_requests_on_two_instances_make_one_pledge()
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        await using var second = await AppInstance.StartAsync(app.Prefix, listeners: false);
        var body = new { projectId = "weixinyuan", amount = 2000, donor = new { contact = "someone@example.com" } };
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => (i % 2 == 0 ? app : second).PledgeAsync(campaign, body, "same-key")));

        // Each answer is the same 202, or 409 while the first was in flight on that instance.
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var ids = new HashSet<string>();
        foreach (var a in answers.Where(a => a.StatusCode == HttpStatusCode.Accepted))
            ids.Add((await a.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!);
        Assert.Single(ids);
        Assert.Equal(1, await PledgeRowsAsync(app, campaign));
        var retry = await app.PledgeAsync(campaign, body, "same-key");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(ids.Single(), (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString());
    }

    [Fact]
    public async Task Pledges_without_a_key_are_each_new()
    {
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var body = new { projectId = "zaochan", amount = 5000 };
        await app.PledgeAsync(campaign, body);
        await app.PledgeAsync(campaign, body);
        Assert.Equal(2, await PledgeRowsAsync(app, campaign));
    }

    [Fact]
    public async Task Lost_store_answers_still_give_one_pledge_per_key_and_the_same_answer()
    {
        // The transaction goes through but its answer is lost: the retry meets the pledge it just stored.
        var (app, campaign) = await StartAsync(s => s.AddSingleton(Chaos.LostAnswers(StoragePipelines.IntakeStore, 0.5)));
        await using var _ = app;
        var sent = Crowd(40, seed: 11);
        var ids = await PostAllAsync(app, campaign, sent);
        Assert.Equal(sent.Count, ids.Distinct().Count());
        Assert.Equal(sent.Count, await PledgeRowsAsync(app, campaign));
    }

    [Fact]
    public async Task Pledges_stored_but_never_queued_are_counted_after_the_redrive()
    {
        // Every enqueue fails after the pledges were stored: the answer is still 202 (they are durable),
        // and the re-drive queues them from their outbox markers.
        var (app, campaign) = await StartAsync(s => s.AddSingleton(Chaos.Faults(StoragePipelines.IntakeEnqueue, 1.0)));
        await using var _ = app;
        var sent = Crowd(30, seed: 5);
        await PostAllAsync(app, campaign, sent);
        var account = app.Get<StorageAccount>();
        Assert.Null((await account.Queue(StorageNames.PledgeQueue).PeekMessageAsync()).Value);

        await using var healthy = await AppInstance.StartAsync(app.Prefix, listeners: false);
        var requeued = await healthy.Get<PledgeRedrive>().RequeueStaleAsync(default, olderThan: TimeSpan.Zero);
        Assert.Equal(sent.Count, requeued);
        foreach (var m in await DrainAsync(account, sent.Count)) await healthy.Get<TotalsProjector>().CountAsync(m, default);

        AssertTotalsMatch(await healthy.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"), sent);
        Assert.Equal(0, await MarkedPledgesLeftAsync(account, campaign));
        Assert.Equal(0, await healthy.Get<PledgeRedrive>().RequeueStaleAsync(default, olderThan: TimeSpan.Zero));
    }

    [Fact]
    public async Task The_redrive_queues_a_pledge_once_it_has_waited_its_window_by_the_apps_clock()
    {
        // Stored, never queued (every enqueue on this instance fails). The re-drive, on another instance, compares a
        // marker's last change with its app's clock: stopped just after the store, the pledges are young; moved on
        // past the window (no backlog: PledgeRedrive.LeftFor), they are not.
        var (app, campaign) = await StartAsync(s => s.AddSingleton(Chaos.Faults(StoragePipelines.IntakeEnqueue, 1.0)));
        await using var _ = app;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var healthy = await AppInstance.StartAsync(app.Prefix, services: s => s.AddSingleton<TimeProvider>(clock), listeners: false);
        await PostAllAsync(app, campaign, Crowd(4, seed: 3));
        clock.SetUtcNow(DateTimeOffset.UtcNow);
        var redrive = healthy.Get<PledgeRedrive>();

        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        // A few seconds short of the window (storage stamps rows with the real time; this leaves room for the run).
        clock.Advance(PledgeRedrive.LeftFor - TimeSpan.FromSeconds(5));
        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        Assert.Null((await app.Get<StorageAccount>().Queue(StorageNames.PledgeQueue).PeekMessageAsync()).Value);

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(4, await redrive.RequeueStaleAsync(default));
        var queued = await DrainAsync(app.Get<StorageAccount>(), 4);
        Assert.All(queued, m => Assert.Equal(campaign, m.CampaignId));
    }

    [Fact]
    public async Task A_message_held_by_a_host_that_stopped_is_no_backlog_and_its_pledges_are_queued_again_after_the_window_and_one_tick()
    {
        // Stored and queued; a host takes the message for 10 minutes (as the WebJobs listener does) and stops without
        // giving it back. The queue's count still shows it, but nothing waits to be taken: the window is LeftFor, and as the
        // message may still be being counted, the marker goes again when the next tick finds it stale and unchanged too.
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var healthy = await AppInstance.StartAsync(app.Prefix, services: s => s.AddSingleton<TimeProvider>(clock), listeners: false);
        await PostAllAsync(app, campaign, Crowd(3, seed: 5));
        var queue = app.Get<StorageAccount>().Queue(StorageNames.PledgeQueue);
        await HoldAllAsync(app.Get<StorageAccount>(), 3);
        Assert.True((await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0);
        clock.SetUtcNow(DateTimeOffset.UtcNow);

        var redrive = healthy.Get<PledgeRedrive>();
        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        clock.Advance(PledgeRedrive.LeftFor + TimeSpan.FromSeconds(1));
        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(3, await redrive.RequeueStaleAsync(default));
    }

    [Fact]
    public async Task A_backlog_older_than_the_window_is_not_queued_again_while_counting_takes_it()
    {
        // Counting fell behind by more than the window: its messages are all taken now and being counted, each marker
        // changing as its pledges are counted. A tick that finds them stale notes them; the next finds them changed (or
        // gone) and queues nothing again, where before it queued every one of them a second time.
        var (app, campaign) = await StartAsync();
        await using var _ = app;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var healthy = await AppInstance.StartAsync(app.Prefix, services: s => s.AddSingleton<TimeProvider>(clock), listeners: false);
        var sent = Crowd(6, seed: 7);
        await PostAllAsync(app, campaign, sent);
        var queue = app.Get<StorageAccount>().Queue(StorageNames.PledgeQueue);
        var taken = await HoldAllAsync(app.Get<StorageAccount>(), sent.Count);
        clock.SetUtcNow(DateTimeOffset.UtcNow + PledgeRedrive.LeftFor + TimeSpan.FromSeconds(1));

        var redrive = healthy.Get<PledgeRedrive>();
        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        foreach (var (message, id, receipt) in taken)
        {
            Assert.Equal(message.Pledges.Count, await healthy.Get<TotalsProjector>().CountAsync(message, default));
            await queue.DeleteMessageAsync(id, receipt);
        }
        clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(0, await redrive.RequeueStaleAsync(default));
        Assert.Null((await queue.PeekMessageAsync()).Value);
        Assert.Equal(0, await MarkedPledgesLeftAsync(app.Get<StorageAccount>(), campaign));
    }

    [Fact]
    public async Task The_redrive_leaves_young_markers_alone_while_the_queue_has_a_backlog()
    {
        var (app, campaign) = await StartAsync(s => s.AddSingleton(Chaos.Faults(StoragePipelines.IntakeEnqueue, 1.0)));
        await using var _ = app;
        await PostAllAsync(app, campaign, Crowd(5, seed: 9));
        var account = app.Get<StorageAccount>();
        await account.Queue(StorageNames.PledgeQueue).SendMessageAsync("{\"campaignId\":\"other\",\"pledges\":[]}");

        // A backlog: these markers may just be waiting in the queue, so they are not queued again yet.
        Assert.Equal(0, await app.Get<PledgeRedrive>().RequeueStaleAsync(default));
        Assert.Equal(5, await MarkedPledgesLeftAsync(account, campaign));
    }
}
