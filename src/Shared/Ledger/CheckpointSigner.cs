using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GivingDay.Resilience;
using GivingDay.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Polly.Registry;

namespace GivingDay.Ledger;

/// <summary>Ledger settings: the signing key (PEM, or base64 PKCS#8 DER, of an ECDSA P-256 private key; in Azure a Key
/// Vault reference), whether a generated development key may stand in when it is absent, and where ticks find new pledges.</summary>
public sealed record LedgerOptions(string? SigningKeyPem, bool AllowDevelopmentKey, LedgerSourceMode Source = LedgerSourceMode.Markers)
{
    public const string SigningKeySetting = "Ledger:SigningKeyPem";
    public const string DevelopmentKeySetting = "Ledger:AllowDevelopmentKey";
    /// <summary><c>markers</c> (default: counting writes <see cref="LedgerMarkers"/> in each step) or <c>scan</c>.</summary>
    public const string SourceSetting = "Ledger:Source";

    /// <summary>Without a key, a development key is allowed when said so, or by default against Azurite.</summary>
    public static LedgerOptions FromConfiguration(IConfiguration configuration) =>
        From(configuration.GetSection(LedgerSettings.Section).Get<LedgerSettings>() ?? new(), StorageAccount.IsAzurite(configuration));

    public static LedgerOptions From(LedgerSettings settings, bool onAzurite) => new(
        string.IsNullOrWhiteSpace(settings.SigningKeyPem) ? null : settings.SigningKeyPem,
        settings.AllowDevelopmentKey ?? onAzurite,
        Enum.TryParse<LedgerSourceMode>(settings.Source, ignoreCase: true, out var mode) ? mode : LedgerSourceMode.Markers);
}

/// <summary>The app settings Ledger__SigningKeyPem, Ledger__AllowDevelopmentKey and Ledger__Source, as bound.</summary>
public sealed class LedgerSettings
{
    public const string Section = "Ledger";
    public string? SigningKeyPem { get; set; }
    public bool? AllowDevelopmentKey { get; set; }
    public string? Source { get; set; }
}

/// <summary>The published public key: SPKI PEM, and its id (the first 8 bytes of SHA-256 of the SPKI DER, hex).</summary>
public sealed record LedgerPublicKey(string KeyId, string Algorithm, string SignatureFormat, string PublicKeyPem)
{
    public const string EcdsaP256Sha256 = "ECDSA-P256-SHA256";
    public const string P1363 = "ieee-p1363";

    public static string KeyIdOf(byte[] spki) => Convert.ToHexStringLower(SHA256.HashData(spki))[..16];
}

/// <summary>Signs checkpoints with the ledger key. The key comes from <c>Ledger:SigningKeyPem</c>; without it (in
/// development only) a key is generated once and kept in blob storage, so every instance signs with the same one.</summary>
public sealed class CheckpointSigner(StorageAccount account, ResiliencePipelineProvider<string> pipelines, LedgerOptions options,
    TimeProvider clock, ILogger<CheckpointSigner> log)
{
    public const string KeysContainer = "ledger-keys";
    public const string DevelopmentKeyBlob = "development-signing-key.pem";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private (ECDsa Key, LedgerPublicKey Public)? _key;

    public async Task<LedgerPublicKey> PublicKeyAsync(CancellationToken ct) => (await KeyAsync(ct)).Public;

    public async Task<Checkpoint> SignAsync(string campaignId, long treeSize, byte[] root, CancellationToken ct)
    {
        var (key, pub) = await KeyAsync(ct);
        var rootHash = Convert.ToBase64String(root);
        var timestamp = Checkpoint.TimestampOf(clock.GetUtcNow());
        var text = Encoding.UTF8.GetBytes(Checkpoint.SignedText(campaignId, treeSize, rootHash, timestamp));
        var signature = key.SignData(text, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new Checkpoint(campaignId, treeSize, rootHash, timestamp, Convert.ToBase64String(signature), pub.KeyId);
    }

    /// <summary>Checks a checkpoint's signature with this signer's key (the verifier has its own check).</summary>
    public async Task<bool> VerifyAsync(Checkpoint checkpoint, CancellationToken ct)
    {
        var (key, pub) = await KeyAsync(ct);
        return checkpoint.KeyId == pub.KeyId && key.VerifyData(checkpoint.SignedBytes(), Convert.FromBase64String(checkpoint.Signature),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private async Task<(ECDsa Key, LedgerPublicKey Public)> KeyAsync(CancellationToken ct)
    {
        if (_key is { } ready) return ready;
        await _loading.WaitAsync(ct);
        try
        {
            if (_key is { } loaded) return loaded;
            var pem = options.SigningKeyPem ?? (options.AllowDevelopmentKey
                ? await DevelopmentKeyPemAsync(ct)
                : throw new InvalidOperationException($"No ledger signing key: set {LedgerOptions.SigningKeySetting} (an ECDSA P-256 private key in PEM)."));
            var key = ImportKey(pem);
            var spki = key.ExportSubjectPublicKeyInfo();
            var pub = new LedgerPublicKey(LedgerPublicKey.KeyIdOf(spki), LedgerPublicKey.EcdsaP256Sha256, LedgerPublicKey.P1363, key.ExportSubjectPublicKeyInfoPem());
            _key = (key, pub);
            return (key, pub);
        }
        finally { _loading.Release(); }
    }

    /// <summary>The configured key: PEM (PKCS#8 or SEC1), or the base64 of a PKCS#8 DER on one line, the form a Key Vault
    /// secret or an azd environment value keeps without line breaks. Anything else stops the signer naming the setting.</summary>
    internal static ECDsa ImportKey(string value)
    {
        var key = ECDsa.Create();
        try
        {
            if (value.Contains("-----BEGIN", StringComparison.Ordinal)) key.ImportFromPem(value);
            else key.ImportPkcs8PrivateKey(Convert.FromBase64String(value.Trim()), out _);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException($"{LedgerOptions.SigningKeySetting} is not an ECDSA private key in PEM or base64 PKCS#8 ({e.GetType().Name}); " +
                "in Azure, check that its Key Vault reference resolved.", e);
        }
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new InvalidOperationException($"{LedgerOptions.SigningKeySetting} must be an ECDSA P-256 key");
        }
        return key;
    }

    /// <summary>The shared development key: created once, create-only, so racing instances end up with the same one.</summary>
    private async Task<string> DevelopmentKeyPemAsync(CancellationToken ct)
    {
        var container = account.Container(KeysContainer);
        var blob = container.GetBlobClient(DevelopmentKeyBlob);
        var pipeline = pipelines.GetPipeline(StoragePipelines.Blobs);
        await pipeline.ExecuteAsync(async t => await container.CreateIfNotExistsAsync(cancellationToken: t), ct);
        using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            await pipeline.ExecuteAsync(async t => await blob.UploadAsync(BinaryData.FromString(generated.ExportPkcs8PrivateKeyPem()),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, t), ct);
            log.LogWarning("Ledger checkpoints are signed with a generated development key ({Blob}); set {Setting} in any real deployment",
                blob.Uri, LedgerOptions.SigningKeySetting);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412) { }
        var content = await pipeline.ExecuteAsync(async t => await blob.DownloadContentAsync(t), ct);
        return content.Value.Content.ToString();
    }
}
