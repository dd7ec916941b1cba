using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace GivingDay.Storage;

/// <summary>The three storage service clients, built once from <c>AzureWebJobsStorage</c> in either
/// form the Functions host accepts: a connection string (Azurite locally), or identity-based
/// (<c>AzureWebJobsStorage__accountName</c> or the per-service <c>__blobServiceUri</c>,
/// <c>__queueServiceUri</c>, <c>__tableServiceUri</c>, with <c>__clientId</c> for a user-assigned identity).</summary>
public sealed class StorageAccount
{
    public const string Setting = "AzureWebJobsStorage";
    /// <summary>Milliseconds added to every storage request (default 0: off). For the benchmark's simulation
    /// of Azure, where a storage call takes 10–20 ms instead of Azurite's ~1 ms on loopback.</summary>
    public const string SimulatedLatencySetting = "Storage:SimulatedLatencyMs";

    public TableServiceClient Tables { get; }
    public QueueServiceClient Queues { get; }
    public BlobServiceClient Blobs { get; }
    public StorageNames Names { get; }

    public StorageAccount(TableServiceClient tables, QueueServiceClient queues, BlobServiceClient blobs, StorageNames names)
    {
        Tables = tables; Queues = queues; Blobs = blobs; Names = names;
    }

    /// <summary>AzureWebJobsStorage points at Azurite (the development storage account).</summary>
    public static bool IsAzurite(IConfiguration configuration) =>
        configuration[Setting] is { } c && (c.Contains("devstoreaccount1", StringComparison.Ordinal) || c.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase));

    public static StorageAccount FromConfiguration(IConfiguration configuration)
    {
        var settings = configuration.GetSection(StorageSettings.Section).Get<StorageSettings>() ?? new();
        var names = new StorageNames(settings.NamePrefix ?? "");
        // The SDKs' own retries are off: the Polly pipelines decide (see Resilience/).
        var tableOptions = new TableClientOptions(); tableOptions.Retry.MaxRetries = 0;
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }; queueOptions.Retry.MaxRetries = 0;
        var blobOptions = new BlobClientOptions(); blobOptions.Retry.MaxRetries = 0;
        if (settings.SimulatedLatencyMs is int ms and > 0)
        {
            // Per try, inside the SDK: every request pays it, the queue listener's own receives and deletes too.
            var latency = new SimulatedLatencyPolicy(TimeSpan.FromMilliseconds(ms));
            tableOptions.AddPolicy(latency, HttpPipelinePosition.PerRetry);
            queueOptions.AddPolicy(latency, HttpPipelinePosition.PerRetry);
            blobOptions.AddPolicy(latency, HttpPipelinePosition.PerRetry);
        }

        var connectionString = configuration[Setting];
        if (!string.IsNullOrWhiteSpace(connectionString))
            return new StorageAccount(
                new TableServiceClient(connectionString, tableOptions),
                new QueueServiceClient(connectionString, queueOptions),
                new BlobServiceClient(connectionString, blobOptions),
                names);

        var section = configuration.GetSection(Setting);
        var account = section["accountName"];
        Uri ServiceUri(string key, string service) =>
            section[key] is { Length: > 0 } uri ? new Uri(uri)
            : account is { Length: > 0 } ? new Uri($"https://{account}.{service}.core.windows.net")
            : throw new InvalidOperationException(
                $"Storage is not configured: set {Setting} to a connection string, or {Setting}__accountName (or {Setting}__{key}) for a managed identity.");

        TokenCredential credential = section["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return new StorageAccount(
            new TableServiceClient(ServiceUri("tableServiceUri", "table"), credential, tableOptions),
            new QueueServiceClient(ServiceUri("queueServiceUri", "queue"), credential, queueOptions),
            new BlobServiceClient(ServiceUri("blobServiceUri", "blob"), credential, blobOptions),
            names);
    }

    public TableClient Table(string logicalName) => Tables.GetTableClient(Names.Table(logicalName));
    public QueueClient Queue(string logicalName) => Queues.GetQueueClient(Names.Queue(logicalName));
    public BlobContainerClient Container(string logicalName) => Blobs.GetBlobContainerClient(Names.Container(logicalName));
}

/// <summary>Waits before each request is sent: the round trip to Azure Storage, simulated on loopback.</summary>
internal sealed class SimulatedLatencyPolicy(TimeSpan delay) : HttpPipelinePolicy
{
    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await Task.Delay(delay, message.CancellationToken);
        await ProcessNextAsync(message, pipeline);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Thread.Sleep(delay);
        ProcessNext(message, pipeline);
    }
}

/// <summary>Storage names, with an optional prefix so that test runs can share one Azurite.
/// The layout itself is documented in docs/storage.md.</summary>
public sealed class StorageNames(string prefix)
{
    public string Prefix { get; } = prefix.ToLowerInvariant();

    // Logical names.
    public const string CampaignsTable = "campaigns";
    public const string LedgerTable = "ledger";
    public const string DonorDownloadsTable = "donordownloads";
    /// <summary>Donors' recent acceptances for the velocity rule, apart from the ledger (docs/storage.md).</summary>
    public const string ActivityTable = "activity";
    public const string PledgeQueue = "pledges";
    public const string CloseQueue = "campaign-close";
    public const string SnapshotsContainer = "snapshots";
    public const string LocksContainer = "locks";

    /// <summary>Table names are alphanumeric only.</summary>
    public string Table(string logical) => Prefix.Replace("-", "") + logical.Replace("-", "");
    public string Queue(string logical) => Prefix.Length == 0 ? logical : $"{Prefix}-{logical}";
    public string PoisonQueue(string logical) => Queue(logical) + "-poison";
    public string Container(string logical) => Prefix.Length == 0 ? logical : $"{Prefix}-{logical}";
}

/// <summary>Storage:NamePrefix (every table, queue and container name starts with it; tests and benchmarks share one
/// account) and Storage:SimulatedLatencyMs (added to every storage request, for benchmarks).</summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";
    public string? NamePrefix { get; set; }
    public int? SimulatedLatencyMs { get; set; }
}
