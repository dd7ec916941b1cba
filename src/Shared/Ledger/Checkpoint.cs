using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using GivingDay.Resilience;

namespace GivingDay.Ledger;

/// <summary>A signed statement of a campaign ledger's size and root at a moment: what the routes publish and what
/// a verifier checks proofs against. The signature (ECDSA P-256, SHA-256, IEEE P1363 r‖s, base64) is over
/// <see cref="SignedText"/>.</summary>
public sealed record Checkpoint(string CampaignId, long TreeSize, string RootHash, string Timestamp, string Signature, string KeyId)
{
    public const string Format = "givingday-checkpoint/v1";

    /// <summary>The signed text: five lines, each ending in a line feed.</summary>
    public static string SignedText(string campaignId, long treeSize, string rootHash, string timestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{Format}\n{campaignId}\n{treeSize}\n{rootHash}\n{timestamp}\n");

    public string SignedText() => SignedText(CampaignId, TreeSize, RootHash, Timestamp);

    public byte[] SignedBytes() => Encoding.UTF8.GetBytes(SignedText());

    public static string TimestampOf(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A checkpoint of one size never changes, so its tag is its size and root (an HTTP header, not a field).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ETag => $"\"{TreeSize}-{Convert.ToHexStringLower(Convert.FromBase64String(RootHash))[..16]}\"";
}

/// <summary>Checkpoints are stored one row per tree size (create-only), and the latest again in one row that only
/// ever moves forward, so every read is a point read.</summary>
public sealed class CheckpointStore(LedgerStore store)
{
    /// <summary>Stores the checkpoint unless one of that size exists, and moves the latest forward to it; returns the
    /// stored one (an earlier one of the same size stands).</summary>
    public async Task<Checkpoint> PublishAsync(Checkpoint checkpoint, CancellationToken ct)
    {
        await store.EnsureCreatedAsync(ct);
        var pipeline = store.Pipelines.GetPipeline(StoragePipelines.Storage);
        try
        {
            await pipeline.ExecuteAsync(async t => await store.Table.AddEntityAsync(Row(checkpoint, LedgerRows.Checkpoint(checkpoint.TreeSize)), t), ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Another tick (or this one, with its answer lost) published this size first: that one stands.
            checkpoint = await AtAsync(checkpoint.CampaignId, checkpoint.TreeSize, ct) ?? checkpoint;
        }
        // The latest moves forward under its ETag; another tick that moved it meanwhile makes the write fail, and the
        // lost-race pipeline reads it again.
        await store.Pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async token =>
        {
            var latest = await store.GetRowAsync(checkpoint.CampaignId, LedgerRows.LatestCheckpoint, token);
            if (latest is not null && (latest.GetInt64("TreeSize") ?? 0) >= checkpoint.TreeSize) return;
            var row = Row(checkpoint, LedgerRows.LatestCheckpoint);
            await pipeline.ExecuteAsync(async t => latest is null
                ? await store.Table.AddEntityAsync(row, t)
                : await store.Table.UpdateEntityAsync(row, latest.ETag, TableUpdateMode.Replace, t), token);
        }, ct);
        return checkpoint;
    }

    public async Task<Checkpoint?> LatestAsync(string campaignId, CancellationToken ct) =>
        await store.GetRowAsync(campaignId, LedgerRows.LatestCheckpoint, ct) is { } row ? From(row) : null;

    public async Task<Checkpoint?> AtAsync(string campaignId, long treeSize, CancellationToken ct) =>
        await store.GetRowAsync(campaignId, LedgerRows.Checkpoint(treeSize), ct) is { } row ? From(row) : null;

    private static TableEntity Row(Checkpoint c, string rowKey) => new(c.CampaignId, rowKey)
    {
        ["TreeSize"] = c.TreeSize,
        ["RootHash"] = c.RootHash,
        ["SignedAt"] = c.Timestamp,
        ["Signature"] = c.Signature,
        ["KeyId"] = c.KeyId,
    };

    private static Checkpoint From(TableEntity row) => new(
        row.PartitionKey, row.GetInt64("TreeSize") ?? 0, row.GetString("RootHash") ?? "", row.GetString("SignedAt") ?? "",
        row.GetString("Signature") ?? "", row.GetString("KeyId") ?? "");
}
