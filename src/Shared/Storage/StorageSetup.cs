using GivingDay.Resilience;
using Microsoft.Extensions.Hosting;
using Polly.Registry;

namespace GivingDay.Storage;

/// <summary>Creates the tables, queues and containers at start, in the background so that the
/// server answers /api/health before storage is reached. Callers that need storage await <see cref="Ready"/>.</summary>
public sealed class StorageSetup(StorageAccount account, ResiliencePipelineProvider<string> pipelines) : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start path: building the clients' first requests is slower than a server's whole start.
        await Task.Yield();
        // Until storage answers (the setup pipeline retries for ever, with backoff up to 5 s, and logs each try).
        await pipelines.GetPipeline(StoragePipelines.Setup).ExecuteAsync(async t => await CreateAllAsync(t), stoppingToken);
        _ready.TrySetResult();
    }

    public async Task CreateAllAsync(CancellationToken ct)
    {
        await Task.WhenAll(
            account.Table(StorageNames.CampaignsTable).CreateIfNotExistsAsync(ct),
            account.Table(StorageNames.LedgerTable).CreateIfNotExistsAsync(ct),
            account.Table(StorageNames.DonorDownloadsTable).CreateIfNotExistsAsync(ct),
            account.Table(StorageNames.ActivityTable).CreateIfNotExistsAsync(ct),
            account.Queue(StorageNames.PledgeQueue).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.PledgeQueue)).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queue(StorageNames.CloseQueue).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.CloseQueue)).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Container(StorageNames.SnapshotsContainer).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Container(StorageNames.LocksContainer).CreateIfNotExistsAsync(cancellationToken: ct));
    }
}
