using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Snapshots;

public sealed record SnapshotInfo(string Name, string Kind, DateTimeOffset TakenAt, long Size, string Sha256);

/// <summary>Snapshots in the <c>snapshots</c> container: <c>{campaign}/progress/{stamp}.json</c> per timer tick,
/// <c>{campaign}/final/final.json</c> and <c>{campaign}/final/ledger.csv</c> once. Every blob is written
/// create-only, so a tick or a close processed twice leaves one blob, and carries its SHA-256 in metadata.</summary>
public sealed class SnapshotStore(StorageAccount account, ResiliencePipelineProvider<string> pipelines)
{
    public const string FinalJson = "final";
    public const string FinalCsv = "final.csv";
    private readonly BlobContainerClient _container = account.Container(StorageNames.SnapshotsContainer);

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'");

    private static string PathOf(string campaignId, string name) => name switch
    {
        FinalJson => $"{campaignId}/final/final.json",
        FinalCsv => $"{campaignId}/final/ledger.csv",
        _ => $"{campaignId}/progress/{name}.json",
    };

    /// <summary>Writes the blob unless it exists; returns false when it was there already.</summary>
    public async Task<bool> CreateAsync(string campaignId, string name, byte[] content, string contentType, DateTimeOffset takenAt, CancellationToken ct)
    {
        var blob = _container.GetBlobClient(PathOf(campaignId, name));
        try
        {
            await pipelines.GetPipeline(StoragePipelines.Blobs).ExecuteAsync(async t => await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Metadata = new Dictionary<string, string> { ["sha256"] = Sha256(content), ["takenat"] = takenAt.ToString("O") },
            }, t), ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412) { return false; }
    }

    public async Task<IReadOnlyList<SnapshotInfo>> ListAsync(string campaignId, CancellationToken ct) =>
        await pipelines.GetPipeline(StoragePipelines.Blobs).ExecuteAsync(async t =>
        {
            var list = new List<SnapshotInfo>();
            await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = campaignId + "/" }, t))
            {
                var relative = item.Name[(campaignId.Length + 1)..];
                var (name, kind) = relative switch
                {
                    "final/final.json" => (FinalJson, "final"),
                    "final/ledger.csv" => (FinalCsv, "final"),
                    _ when relative.StartsWith("progress/", StringComparison.Ordinal) => (Path.GetFileNameWithoutExtension(relative), "progress"),
                    _ => (relative, "other"),
                };
                var takenAt = item.Metadata.TryGetValue("takenat", out var at) && DateTimeOffset.TryParse(at, out var parsed) ? parsed : item.Properties.CreatedOn ?? default;
                list.Add(new SnapshotInfo(name, kind, takenAt, item.Properties.ContentLength ?? 0, (item.Metadata.TryGetValue("sha256", out var sha) ? sha : "")));
            }
            return (IReadOnlyList<SnapshotInfo>)list.OrderByDescending(s => s.TakenAt).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        }, ct);

    /// <summary>The blob's content stream and type, or null if it does not exist.</summary>
    public async Task<(Stream Content, string ContentType)?> OpenAsync(string campaignId, string name, CancellationToken ct)
    {
        var blob = _container.GetBlobClient(PathOf(campaignId, name));
        try
        {
            var result = await pipelines.GetPipeline(StoragePipelines.Blobs).ExecuteAsync(async t => await blob.DownloadStreamingAsync(cancellationToken: t), ct);
            return (result.Value.Content, result.Value.Details.ContentType);
        }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
