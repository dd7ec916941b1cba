using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GivingDay.Storage;

/// <summary>Creates the tables, queues and containers at start, in the background so that the
/// server answers /api/health before storage is reached. Callers that need storage await <see cref="Ready"/>.</summary>
public sealed class StorageSetup(StorageAccount account, ILogger<StorageSetup> log) : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start path: building the clients' first requests is slower than a server's whole start.
        await Task.Yield();
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CreateAllAsync(stoppingToken);
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
            {
                log.LogWarning("Storage not reachable yet ({Message}); retrying in {Delay}", e.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    public async Task CreateAllAsync(CancellationToken ct)
    {
        await Task.WhenAll(
            account.Table(StorageNames.CampaignsTable).CreateIfNotExistsAsync(ct),
            account.Table(StorageNames.LedgerTable).CreateIfNotExistsAsync(ct),
            account.Table(StorageNames.DonorDownloadsTable).CreateIfNotExistsAsync(ct),
            account.Queue(StorageNames.PledgeQueue).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.PledgeQueue)).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queue(StorageNames.CloseQueue).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Queues.GetQueueClient(account.Names.PoisonQueue(StorageNames.CloseQueue)).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Container(StorageNames.SnapshotsContainer).CreateIfNotExistsAsync(cancellationToken: ct),
            account.Container(StorageNames.LocksContainer).CreateIfNotExistsAsync(cancellationToken: ct));
    }
}
