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

    /// <summary>A checkpoint of one size never changes, so its tag is its size and root.</summary>
    public string ETag => $"\"{TreeSize}-{Convert.ToHexStringLower(Convert.FromBase64String(RootHash))[..16]}\"";
}

/// <summary>Checkpoints are stored one row per tree size (create-only), newest first.</summary>
public sealed class CheckpointStore(LedgerStore store)
{
    /// <summary>Stores the checkpoint unless one of that size exists; returns the stored one.</summary>
    public async Task<Checkpoint> PublishAsync(Checkpoint checkpoint, CancellationToken ct)
    {
        await store.EnsureCreatedAsync(ct);
        var row = new TableEntity(checkpoint.CampaignId, LedgerRows.Checkpoint(checkpoint.TreeSize))
        {
            ["TreeSize"] = checkpoint.TreeSize,
            ["RootHash"] = checkpoint.RootHash,
            ["SignedAt"] = checkpoint.Timestamp,
            ["Signature"] = checkpoint.Signature,
            ["KeyId"] = checkpoint.KeyId,
        };
        try
        {
            await store.Pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t => await store.Table.AddEntityAsync(row, t), ct);
            return checkpoint;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Another tick (or this one, with its answer lost) published this size first: that one stands.
            return await AtAsync(checkpoint.CampaignId, checkpoint.TreeSize, ct) ?? checkpoint;
        }
    }

    public async Task<Checkpoint?> LatestAsync(string campaignId, CancellationToken ct)
    {
        var rows = await store.RangeAsync(campaignId, "c|", "c}", ct, take: 1);
        return rows.Count == 0 ? null : From(rows[0]);
    }

    public async Task<Checkpoint?> AtAsync(string campaignId, long treeSize, CancellationToken ct) =>
        await store.GetRowAsync(campaignId, LedgerRows.Checkpoint(treeSize), ct) is { } row ? From(row) : null;

    private static Checkpoint From(TableEntity row) => new(
        row.PartitionKey, row.GetInt64("TreeSize") ?? 0, row.GetString("RootHash") ?? "", row.GetString("SignedAt") ?? "",
        row.GetString("Signature") ?? "", row.GetString("KeyId") ?? "");
}
