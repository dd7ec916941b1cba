using GivingDay.Campaigns;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace GivingDay.Tests.Ledger;

/// <summary>One instance's ledger services over Azurite (its own objects and caches, like a separate process),
/// all sharing storage through the name prefix.</summary>
public sealed class LedgerInstance
{
    public StorageAccount Account { get; }
    public LedgerStore Store { get; }
    public CheckpointStore Checkpoints { get; }
    public CheckpointSigner Signer { get; }
    public LedgerSequencer Sequencer { get; }
    public LedgerSource Source { get; }
    public LedgerReader Reader { get; }
    public LedgerTick Tick { get; }

    public LedgerInstance(string prefix, IEnumerable<PipelineDecorator>? chaos = null, string source = "scan")
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            [LedgerOptions.SourceSetting] = source,
        }).Build();
        Account = StorageAccount.FromConfiguration(config);
        var pipelines = StoragePipelines.Provider(chaos ?? []);
        Store = new LedgerStore(Account, pipelines);
        Checkpoints = new CheckpointStore(Store);
        Signer = new CheckpointSigner(Account, pipelines, LedgerOptions.FromConfiguration(config), TimeProvider.System, NullLogger<CheckpointSigner>.Instance);
        Sequencer = new LedgerSequencer(Store);
        Source = new LedgerSource(Account, Store, pipelines, LedgerOptions.FromConfiguration(config), new CampaignStore(Account, pipelines, TimeProvider.System));
        Reader = new LedgerReader(Store, Checkpoints, TimeProvider.System);
        Tick = new LedgerTick(Source, Sequencer, Signer, Checkpoints);
    }

    /// <summary>Signs and publishes a checkpoint of the current head (as a tick would after sequencing).</summary>
    public async Task<Checkpoint> CheckpointAsync(string campaignId)
    {
        var head = await Store.HeadAsync(campaignId, default);
        return await Checkpoints.PublishAsync(await Signer.SignAsync(campaignId, head.TreeSize, head.Root, default), default);
    }
}

public static class LedgerTestKit
{
    private static readonly string[] Projects = ["zaochan", "weixinyuan", "songwanjia"];
    private static readonly string[] Names = ["张*", "王**", "李*", null!, "Ann*", "欧阳***"];

    public static LedgerEntry Entry(int i, string? tag = null) => new(
        $"{tag ?? "p"}{i:D6}", Projects[i % Projects.Length], new(100 + i * 37 % 50_000), new(i % 3 == 0 ? 100 : 0),
        i % 3 == 0 ? "tencent" : null, i % 5 == 0 ? Channels.Offline : Channels.Online, Names[i % Names.Length],
        new DateTimeOffset(2026, 5, 8, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(i * 1234L));

    public static List<PendingEntry> Pending(int from, int count, string? tag = null) =>
        Enumerable.Range(from, count).Select(i => new PendingEntry(Entry(i, tag), DateTimeOffset.UtcNow)).ToList();

    /// <summary>Every entry in storage, in index order, read straight from the rows (no reader, no published limit).</summary>
    public static async Task<List<string>> StoredEntriesAsync(LedgerInstance ledger, string campaignId)
    {
        var rows = await ledger.Store.RangeAsync(campaignId, "e|", "e}", default);
        return rows.SelectMany(LedgerStore.EntriesOf).ToList();
    }

    public static ReferenceMerkle Reference(IEnumerable<string> canonicalEntries) =>
        new(canonicalEntries.Select(e => Encoding.UTF8.GetBytes(e)).ToList());

    /// <summary>Pledge rows as counting leaves them (counted, with match and countedAt), written in transactions.</summary>
    public static async Task WriteCountedPledgesAsync(StorageAccount account, string campaignId, IEnumerable<(LedgerEntry Entry, DateTimeOffset CountedAt)> pledges, bool counted = true)
    {
        var table = account.Table(StorageNames.LedgerTable);
        await table.CreateIfNotExistsAsync();
        foreach (var chunk in pledges.Chunk(100))
            await table.SubmitTransactionAsync(chunk.Select(p =>
            {
                var row = PledgeRows.ToRow(new Pledge(p.Entry.PledgeId, campaignId, p.Entry.ProjectId, p.Entry.Amount, "donorhash-" + p.Entry.PledgeId,
                    p.Entry.MaskedName, "加油", p.Entry.Channel, p.Entry.AcceptedAt, "fp"));
                if (counted)
                {
                    row["Counted"] = true; row["Matched"] = p.Entry.Matched.Fen; row["FundId"] = p.Entry.FundId; row["CountedAt"] = p.CountedAt;
                }
                return new TableTransactionAction(TableTransactionActionType.Add, row);
            }).ToList());
    }

    /// <summary>Sequencing markers as counting would add them to its steps (here in their own transactions), 48 pledges each.</summary>
    public static async Task WriteMarkersAsync(StorageAccount account, string campaignId, IEnumerable<LedgerEntry> entries, DateTimeOffset countedAt)
    {
        var table = account.Table(StorageNames.LedgerTable);
        await table.CreateIfNotExistsAsync();
        var i = 0;
        foreach (var step in entries.Chunk(48))
            await table.AddEntityAsync(LedgerMarkers.Row(campaignId, countedAt.AddMilliseconds(i++), step));
    }

    /// <summary>The checkpoint's signature, checked with the published PEM alone (not the signer's key object).</summary>
    public static bool SignatureVerifies(Checkpoint c, LedgerPublicKey key)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(key.PublicKeyPem);
        var text = Encoding.UTF8.GetBytes($"givingday-checkpoint/v1\n{c.CampaignId}\n{c.TreeSize}\n{c.RootHash}\n{c.Timestamp}\n");
        return c.KeyId == Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()))[..16]
            && ecdsa.VerifyData(text, Convert.FromBase64String(c.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public static List<byte[]> Hashes(IEnumerable<string> base64) => base64.Select(Convert.FromBase64String).ToList();
}
