using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using GivingDay.Campaigns;
using GivingDay.Functions;
using GivingDay.Functions.Functions;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Storage;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Timers;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs.Host.Executors;
using WorkerTimerInfo = Microsoft.Azure.Functions.Worker.TimerInfo;
using WorkerScheduleStatus = Microsoft.Azure.Functions.Worker.ScheduleStatus;

namespace GivingDay.StandaloneHost;

/// <summary>The queue and timer functions, run by the WebJobs SDK: the host's own queue listener (batch size, new-batch
/// threshold, visibility timeout, dequeue count, poison queue, message encoding and polling from host.json), its timer
/// scheduler and its blob-lease singleton, so that of several standalone hosts on one storage account one runs each
/// timer occurrence.</summary>
public static class WebJobsTriggers
{
    /// <summary>Resolves to the storage name prefix of queue names (tests give every run its own).</summary>
    public const string QueuePrefix = "%GivingDayQueuePrefix%";

    public static WebApplicationBuilder AddWebJobsTriggers(this WebApplicationBuilder builder)
    {
        builder.Host.ConfigureWebJobs(webJobs =>
        {
            webJobs.AddAzureStorageQueues();
            webJobs.AddTimers();
            webJobs.AddAzureStorageCoreServices();
        });
        var services = builder.Services;
        // The job host (indexing, listeners, singleton locks) starts once storage is reachable, in the background, so
        // the first HTTP answer does not wait for it. The SDK's other background services serve the Functions host's
        // scale controller (a primary-host lease renewed every few seconds, dynamic concurrency, options logging): this
        // host needs none of them, nor their idle storage calls.
        foreach (var sdkService in services.Where(d => d.ServiceType == typeof(IHostedService)
                     && d.ImplementationType?.Assembly.GetName().Name?.StartsWith("Microsoft.Azure.WebJobs", StringComparison.Ordinal) == true).ToList())
            services.Remove(sdkService);
        services.AddHostedService<JobHostAfterStorage>();
        // Registered after AddTimers: its own monitor does not load against Host.Storage 5 (TypeLoadException).
        services.AddSingleton<ScheduleMonitor, BlobScheduleMonitor>();
        services.AddSingleton<ITypeLocator>(new AdapterTypes());
        services.AddSingleton<INameResolver, StorageNameResolver>();
        services.AddSingleton<IHostIdProvider, StorageHostId>();
        services.Configure<JobHostFunctionTimeoutOptions>(o =>
        {
            if (HostJson.FunctionTimeout(builder.Configuration) is { } timeout) o.Timeout = timeout;
        });
        return builder;
    }

    /// <summary>The job host is resolved in the background too: building it (extensions, clients, indexing) is most of
    /// what the WebJobs SDK costs at start.</summary>
    private sealed class JobHostAfterStorage(IServiceProvider services, StorageSetup storage, ILogger<JobHostAfterStorage> log) : IHostedService
    {
        private readonly CancellationTokenSource _stopping = new();
        private Task<IJobHost> _started = Task.FromCanceled<IJobHost>(new CancellationToken(canceled: true));

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _started = Task.Run(async () =>
            {
                await storage.Ready.WaitAsync(_stopping.Token);
                var jobHost = services.GetRequiredService<IJobHost>();
                await jobHost.StartAsync(_stopping.Token);
                log.LogInformation("Queue and timer triggers started");
                return jobHost;
            });
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await _stopping.CancelAsync();
            IJobHost jobHost;
            try { jobHost = await _started; }
            catch (OperationCanceledException) { return; } // stopped before storage was reachable: nothing to stop
            await jobHost.StopAsync();
        }
    }

    private sealed class AdapterTypes : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => [typeof(TriggerAdapters)];
    }

    /// <summary>%GivingDayQueuePrefix% is the storage prefix; everything else comes from configuration, as in the host.</summary>
    private sealed class StorageNameResolver(IConfiguration configuration, StorageAccount account) : INameResolver
    {
        public string? Resolve(string name) =>
            name == QueuePrefix.Trim('%') ? (account.Names.Prefix.Length == 0 ? "" : account.Names.Prefix + "-") : configuration[name];
    }

    /// <summary>Hosts on the same storage with the same id share timer singletons. The id follows the storage prefix, or
    /// the Functions host's own setting when given.</summary>
    private sealed class StorageHostId(IConfiguration configuration, StorageAccount account) : IHostIdProvider
    {
        public Task<string> GetHostIdAsync(CancellationToken cancellationToken) => Task.FromResult(
            configuration["AzureFunctionsWebHost:hostId"] is { Length: > 0 } id ? id
            : account.Names.Prefix.Length == 0 ? "givingday" : $"givingday-{account.Names.Prefix}");
    }
}

/// <summary>One line per queue or timer function: the WebJobs trigger, named by the same constants as the function's
/// own attribute, hands the message or tick to the function class.</summary>
public sealed class TriggerAdapters(CountPledges countPledges, FinalizeCampaign finalizeCampaign, SnapshotProgress snapshotProgress, RedrivePledges redrivePledges)
{
    [FunctionName(nameof(CountPledges))]
    public Task CountPledges([QueueTrigger(WebJobsTriggers.QueuePrefix + Triggers.PledgeQueue, Connection = Triggers.Connection)] string message, long dequeueCount, CancellationToken ct) =>
        countPledges.Run(Read<PledgeBatchMessage>(message), dequeueCount, ct);

    [FunctionName(nameof(FinalizeCampaign))]
    public Task FinalizeCampaign([QueueTrigger(WebJobsTriggers.QueuePrefix + Triggers.CloseQueue, Connection = Triggers.Connection)] string message, long dequeueCount, CancellationToken ct) =>
        finalizeCampaign.Run(Read<CloseMessage>(message), dequeueCount, ct);

    [FunctionName(nameof(SnapshotProgress))]
    public Task SnapshotProgress([TimerTrigger("%" + Triggers.SnapshotSchedule + "%")] TimerInfo timer, CancellationToken ct) =>
        snapshotProgress.Run(Worker(timer), ct);

    [FunctionName(nameof(RedrivePledges))]
    public Task RedrivePledges([TimerTrigger("%" + Triggers.RedriveSchedule + "%")] TimerInfo timer, CancellationToken ct) =>
        redrivePledges.Run(Worker(timer), ct);

    /// <summary>The worker reads queue messages with the app's JSON options; so does this.</summary>
    private static T Read<T>(string message) =>
        JsonSerializer.Deserialize<T>(message, GivingDayJson.Options) ?? throw new JsonException($"empty {typeof(T).Name} message");

    private static WorkerTimerInfo Worker(TimerInfo timer) => new()
    {
        IsPastDue = timer.IsPastDue,
        ScheduleStatus = timer.ScheduleStatus is { } s ? new WorkerScheduleStatus { Last = s.Last, Next = s.Next, LastUpdated = s.LastUpdated } : null,
    };
}

/// <summary>Where the timer keeps each schedule's last and next occurrence, so an occurrence missed while no host ran is
/// run once after a restart (IsPastDue): a JSON blob per timer in the locks container.</summary>
public sealed class BlobScheduleMonitor(StorageAccount account) : ScheduleMonitor
{
    private readonly BlobContainerClient _container = account.Container(StorageNames.LocksContainer);

    public override async Task<ScheduleStatus?> GetStatusAsync(string timerName)
    {
        try
        {
            var content = await _container.GetBlobClient(BlobName(timerName)).DownloadContentAsync();
            return JsonSerializer.Deserialize<ScheduleStatus>(content.Value.Content.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public override async Task UpdateStatusAsync(string timerName, ScheduleStatus status)
    {
        var blob = _container.GetBlobClient(BlobName(timerName));
        var json = BinaryData.FromString(JsonSerializer.Serialize(status));
        try { await blob.UploadAsync(json, overwrite: true); }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await _container.CreateIfNotExistsAsync();
            await blob.UploadAsync(json, overwrite: true);
        }
    }

    // WebJobs names a timer by its method's full name; keep only what a blob name needs.
    private static string BlobName(string timerName) => $"timers/{timerName.Replace('+', '.')}.json";
}
