using System.Collections.Concurrent;
using GivingDay.Functions.Hosting;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GivingDay.Host.Tests;

/// <summary>Standalone mode reproduces the host's queue and timer semantics, for any declared function.</summary>
public class StandaloneHostTests
{
    private static async Task<WebApplication> HostAsync(string prefix, IReadOnlyList<FunctionDeclaration> functions, Dictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--urls", "http://127.0.0.1:0"], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200",
            ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00.200",
            ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "3",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<StorageSetup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StorageSetup>());
        builder.Services.AddSingleton<StorageCallCounter>();
        builder.AddFunctionHosting(functions);
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Messages_are_processed_failures_redelivered_and_poisoned_after_the_dequeue_limit_with_two_listeners_losing_nothing()
    {
        var prefix = Azurite.UniquePrefix();
        var runs = new ConcurrentDictionary<string, int>();
        var work = new QueueFunction("Work", "work", (_, message, _) =>
        {
            var n = runs.AddOrUpdate(message.Text, 1, (_, c) => c + 1);
            if (message.Text.StartsWith("always-fail")) throw new InvalidOperationException("cannot");
            if (message.Text.StartsWith("fail-once") && message.DequeueCount == 1) throw new InvalidOperationException("first try fails");
            return Task.CompletedTask;
        });
        await using var a = await HostAsync(prefix, [work]);
        await using var b = await HostAsync(prefix, [work]);
        var account = a.Services.GetRequiredService<StorageAccount>();
        var queue = account.Queue("work");
        await queue.CreateIfNotExistsAsync();
        var texts = Enumerable.Range(0, 60).Select(i => $"ok-{i}").Append("fail-once-1").Append("always-fail-1").ToList();
        foreach (var t in texts) await queue.SendMessageAsync(t);

        var poison = account.Queues.GetQueueClient(account.Names.PoisonQueue("work"));
        var poisoned = await AppInstance.EventuallyAsync(async () => (await poison.PeekMessagesAsync(10)).Value, m => m.Length == 1, TimeSpan.FromSeconds(60), "poisoned message");
        Assert.Equal("always-fail-1", poisoned[0].Body.ToString());
        await AppInstance.EventuallyAsync(async () => (await queue.PeekMessagesAsync(1)).Value.Length, n => n == 0, TimeSpan.FromSeconds(60), "queue drained");

        // Every message ran at least once (at-least-once, never lost); the failing one exactly maxDequeueCount times.
        Assert.All(texts, t => Assert.True(runs.GetValueOrDefault(t) >= 1, $"{t} never ran"));
        Assert.True(runs["fail-once-1"] >= 2);
        Assert.Equal(3, runs["always-fail-1"]);
    }

    [Fact]
    public async Task Two_schedulers_on_one_storage_run_each_occurrence_once()
    {
        var prefix = Azurite.UniquePrefix();
        var occurrences = new ConcurrentBag<DateTimeOffset>();
        var tick = new TimerFunction("Tick", "TickSchedule", "*/1 * * * * *", (_, timer, _) => { occurrences.Add(timer.ScheduledAt); return Task.CompletedTask; });
        var a = await HostAsync(prefix, [tick]);
        var b = await HostAsync(prefix, [tick]);
        await Task.Delay(TimeSpan.FromSeconds(6));
        await a.StopAsync(); await b.StopAsync();
        await a.DisposeAsync(); await b.DisposeAsync();

        var seen = occurrences.ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(seen.Count >= 3, $"only {seen.Count} occurrences ran in 6 s");
    }

    [Fact]
    public async Task A_missed_occurrence_runs_once_after_a_restart_as_past_due()
    {
        var prefix = Azurite.UniquePrefix();
        var runs = new ConcurrentBag<TimerInput>();
        // Every 3 s, so a restart 4 s later has missed one.
        var tick = new TimerFunction("Slow", "SlowSchedule", "*/3 * * * * *", (_, timer, _) => { runs.Add(timer); return Task.CompletedTask; });
        var first = await HostAsync(prefix, [tick]);
        await AppInstance.EventuallyAsync(() => Task.FromResult(runs.Count), n => n >= 1, TimeSpan.FromSeconds(30), "first run");
        await first.StopAsync(); await first.DisposeAsync();
        var before = runs.Count;
        await Task.Delay(TimeSpan.FromSeconds(4));

        await using var second = await HostAsync(prefix, [tick]);
        await AppInstance.EventuallyAsync(() => Task.FromResult(runs.Count), n => n > before, TimeSpan.FromSeconds(30), "catch-up run");
        Assert.Contains(runs, r => r.IsPastDue);
        Assert.Single(runs, r => r.IsPastDue);
    }

    [Fact]
    public async Task Queue_settings_come_from_host_json_with_the_hosts_app_setting_overrides()
    {
        var fromFile = QueueSettings.Read(new ConfigurationBuilder().Build(), AppContext.BaseDirectory);
        Assert.Equal((16, 8, 5, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)),
            (fromFile.BatchSize, fromFile.NewBatchThreshold, fromFile.MaxDequeueCount, fromFile.VisibilityTimeout, fromFile.MaxPollingInterval));
        var overridden = QueueSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:queues:batchSize"] = "64",
            ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2",
        }).Build(), AppContext.BaseDirectory);
        Assert.Equal(32, overridden.BatchSize); // the host's maximum
        Assert.Equal(2, overridden.MaxDequeueCount);
        Assert.Equal(24 + 32 - 24, overridden.MaxConcurrent - overridden.NewBatchThreshold);
    }
}
