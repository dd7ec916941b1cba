using System.Text.Json;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Simmy;

namespace GivingDay.Host.Tests;

/// <summary>The standalone host's queue and timer triggers are the WebJobs SDK's, configured by host.json, against Azurite.</summary>
public class WebJobsTriggerTests
{
    [Fact]
    public async Task A_message_that_always_fails_lands_in_the_poison_queue_after_host_json_max_dequeue_count()
    {
        var logs = new CapturedLogs();
        // The operator's poison counter, for this queue.
        long poisonedCount = 0;
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GivingDay.Telemetry.GivingDayTelemetry.Name && instrument.Name == "givingday.messages.poisoned") listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags) if (tag is { Key: "queue", Value: StorageNames.PledgeQueue }) Interlocked.Add(ref poisonedCount, value);
        });
        meters.Start();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), services: logs.AddTo);
        var queues = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json"))).RootElement.GetProperty("extensions").GetProperty("queues");
        var maxDequeueCount = queues.GetProperty("maxDequeueCount").GetInt32();
        // The WebJobs SDK's queue options are host.json's, with the host's app-setting overrides (AppInstance sets two).
        var options = app.Get<Microsoft.Extensions.Options.IOptions<Microsoft.Azure.WebJobs.Host.QueuesOptions>>().Value;
        Assert.Equal((queues.GetProperty("batchSize").GetInt32(), queues.GetProperty("newBatchThreshold").GetInt32(), maxDequeueCount),
            (options.BatchSize, options.NewBatchThreshold, options.MaxDequeueCount));
        Assert.Equal((TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200)), (options.VisibilityTimeout, options.MaxPollingInterval));
        var account = app.Get<StorageAccount>();
        // A batch for a campaign nobody defined: counting it always fails.
        var message = JsonSerializer.Serialize(new PledgeBatchMessage("no-such-campaign", []), GivingDayJson.Options);
        await account.Queue(StorageNames.PledgeQueue).SendMessageAsync(message);

        var poison = account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.PledgeQueue));
        var poisoned = await AppInstance.EventuallyAsync(async () => (await poison.PeekMessagesAsync(10)).Value, m => m.Length == 1, TimeSpan.FromSeconds(90), "poisoned message");

        Assert.Equal(message, poisoned[0].Body.ToString());
        Assert.Equal(maxDequeueCount, logs.Failed("CountPledges").Count);
        Assert.Equal(1, Interlocked.Read(ref poisonedCount));
        Assert.Empty((await account.Queue(StorageNames.PledgeQueue).PeekMessagesAsync(1)).Value);
    }

    [Fact]
    public async Task Two_hosts_on_one_storage_run_each_timer_occurrence_once()
    {
        var prefix = Azurite.UniquePrefix();
        var every = new Dictionary<string, string?> { ["SnapshotSchedule"] = "*/1 * * * * *" };
        var (logsA, logsB) = (new CapturedLogs(), new CapturedLogs());
        await using var a = await AppInstance.StartAsync(prefix, every, logsA.AddTo);
        await using var b = await AppInstance.StartAsync(prefix, every, logsB.AddTo);

        await AppInstance.EventuallyAsync(() => Task.FromResult(logsA.Executing("SnapshotProgress").Count + logsB.Executing("SnapshotProgress").Count),
            n => n >= 5, TimeSpan.FromSeconds(90), "five timer occurrences");

        // The timer is a singleton across hosts with the same id and storage: one host holds it, the other runs nothing.
        var (ranA, ranB) = (logsA.Executing("SnapshotProgress"), logsB.Executing("SnapshotProgress"));
        Assert.True(ranA.Count == 0 || ranB.Count == 0, $"both hosts ran the timer: {ranA.Count} and {ranB.Count} times");
        // And each occurrence (one a second) ran once: no more runs than the occurrences their span holds. (Two runs may
        // come close together: a run that starts late is followed at once by the next occurrence, already due. So the
        // bound allows one more than the whole seconds spanned; running every occurrence twice would break it.)
        var starts = ranA.Concat(ranB).Select(e => e.At).Order().ToList();
        var span = starts[^1] - starts[0];
        Assert.True(starts.Count <= Math.Floor(span.TotalSeconds) + 2, $"{starts.Count} runs in {span.TotalSeconds:0.000} s: {string.Join(", ", starts.Select(t => t.ToString("HH:mm:ss.fff")))}");
    }

    [Fact]
    public async Task Pledges_being_counted_by_a_host_that_stops_are_counted_by_the_other_exactly_once()
    {
        var prefix = Azurite.UniquePrefix();
        await using var survivor = await AppInstance.StartAsync(prefix);
        // The host that stops is slow to commit, so it holds messages when it goes.
        var dyingLogs = new CapturedLogs();
        var dying = await AppInstance.StartAsync(prefix, services: s =>
        {
            dyingLogs.AddTo(s);
            s.AddSingleton(new PipelineDecorator(StoragePipelines.CountCommit, p => p.AddChaosLatency(1.0, TimeSpan.FromSeconds(3))));
        });
        var campaign = TestCampaigns.NewId("dies");
        (await survivor.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        var accepted = 0;
        for (var i = 0; i < 40; i++)
        {
            var response = await dying.PledgeAsync(campaign, new { projectId = "zaochan", amount = 1000 + i, donor = new { name = "李四", contact = $"1390000{i:0000}" } });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            accepted++;
        }
        // Stop the slow host while it is counting: whatever it had taken must not be lost, or counted twice.
        await AppInstance.EventuallyAsync(() => Task.FromResult(dyingLogs.Executing("CountPledges").Count), n => n > 0, TimeSpan.FromSeconds(60), "the slow host counting");
        await dying.DisposeAsync();

        var totals = await AppInstance.EventuallyAsync(() => survivor.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            t => t.GetProperty("totals").GetProperty("pledges").GetInt64() == accepted, TimeSpan.FromSeconds(120), "every pledge counted");
        Assert.Equal(Enumerable.Range(0, 40).Sum(i => 1000L + i), totals.GetProperty("totals").GetProperty("raised").GetInt64());
        Assert.Equal(accepted, totals.GetProperty("totals").GetProperty("donors").GetInt64());
    }
}
