using System.Security.Cryptography;
using System.Text;
using GivingDay.Ledger;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace GivingDay.Tests.Ledger;

/// <summary>The checkpoint signing key as Azure hands it over: a Key Vault secret resolved into
/// <c>Ledger:SigningKeyPem</c>, in the one-line base64 PKCS#8 form scripts/ledger-key.sh makes, or PEM.</summary>
public class SigningKeyTests
{
    private static (CheckpointSigner Signer, StorageAccount Account) Signer(string prefix, string? key, bool? allowDevelopmentKey)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            [LedgerOptions.SigningKeySetting] = key,
            [LedgerOptions.DevelopmentKeySetting] = allowDevelopmentKey?.ToString(),
        }).Build();
        var account = StorageAccount.FromConfiguration(config);
        return (new CheckpointSigner(account, StoragePipelines.Provider([]), LedgerOptions.FromConfiguration(config), TimeProvider.System,
            NullLogger<CheckpointSigner>.Instance), account);
    }

    private static string Prefix() => "k" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_configured_one_line_key_signs_checkpoints_that_verify_with_the_published_key_and_no_development_key_is_made()
    {
        using var vaultKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var secret = Convert.ToBase64String(vaultKey.ExportPkcs8PrivateKey());
        var (signer, account) = Signer(Prefix(), secret, allowDevelopmentKey: false);

        var checkpoint = await signer.SignAsync("c1", 3, SHA256.HashData("root"u8), default);
        var published = await signer.PublicKeyAsync(default);

        // Checked with the published key alone, as a donor's browser does.
        using var verifier = ECDsa.Create();
        verifier.ImportFromPem(published.PublicKeyPem);
        Assert.True(verifier.VerifyData(Encoding.UTF8.GetBytes(Checkpoint.SignedText(checkpoint.CampaignId, checkpoint.TreeSize, checkpoint.RootHash, checkpoint.Timestamp)),
            Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.Equal(LedgerPublicKey.KeyIdOf(vaultKey.ExportSubjectPublicKeyInfo()), published.KeyId);
        Assert.Equal(published.KeyId, checkpoint.KeyId);
        Assert.False(await account.Container(CheckpointSigner.KeysContainer).ExistsAsync());
    }

    [Fact]
    public async Task The_same_key_as_PEM_has_the_same_key_id()
    {
        using var vaultKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var fromBase64 = await Signer(Prefix(), Convert.ToBase64String(vaultKey.ExportPkcs8PrivateKey()), false).Signer.PublicKeyAsync(default);
        var fromPem = await Signer(Prefix(), vaultKey.ExportPkcs8PrivateKeyPem(), false).Signer.PublicKeyAsync(default);

        Assert.Equal(fromBase64, fromPem);
    }

    [Theory]
    // What the app sees when the platform could not resolve the reference (no role, wrong secret name).
    [InlineData("@Microsoft.KeyVault(VaultName=kv-abc;SecretName=ledger-signing-key)")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")]
    public async Task A_key_that_is_not_a_key_stops_signing_naming_the_setting(string value)
    {
        var (signer, _) = Signer(Prefix(), value, allowDevelopmentKey: true);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => signer.SignAsync("c1", 1, new byte[32], default));
        Assert.Contains(LedgerOptions.SigningKeySetting, e.Message);
    }

    [Fact]
    public async Task A_key_on_another_curve_is_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (signer, _) = Signer(Prefix(), Convert.ToBase64String(p384.ExportPkcs8PrivateKey()), false);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => signer.PublicKeyAsync(default));
        Assert.Contains("P-256", e.Message);
    }

    [Fact]
    public async Task Without_a_key_where_no_development_key_is_allowed_nothing_is_signed_and_the_setting_is_named()
    {
        var (signer, account) = Signer(Prefix(), null, allowDevelopmentKey: false);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => signer.SignAsync("c1", 1, new byte[32], default));
        Assert.Contains(LedgerOptions.SigningKeySetting, e.Message);
        Assert.False(await account.Container(CheckpointSigner.KeysContainer).ExistsAsync());
    }
}
