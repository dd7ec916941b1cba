using System.Text.Json.Nodes;
using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>The app's three secrets live in a Key Vault the function app reads with its own identity: the app settings
/// hold Key Vault references, never values, and the ledger's checkpoints are signed with the vault's key only.</summary>
public class KeyVaultTemplateTests
{
    private static readonly ArmTemplate Template = ArmTemplate.Main;
    private static ArmResource Vault => Template.Single("Microsoft.KeyVault/vaults");
    private static ArmResource Site => Template.Single("Microsoft.Web/sites");

    private static JsonObject AppSettings =>
        Template.Resources("Microsoft.Web/sites/config").Single(c => c.Name.EndsWith("'appsettings')]")).Properties;

    // Setting the app reads → the vault's secret, and the secure parameter of main.bicep that fills it.
    public static TheoryData<string, string, string, string> Secrets => new()
    {
        { "Organiser__ApiKey", "organiserApiKey", "organiser-api-key", "organiserApiKey" },
        { "Hashing__DonorKey", "donorHashKey", "donor-hash-key", "donorHashKey" },
        { "Ledger__SigningKeyPem", "ledgerSigningKey", "ledger-signing-key", "ledgerSigningKey" },
    };

    [Fact]
    public void Vault_uses_rbac_with_soft_delete_and_purge_protection()
    {
        Assert.True((bool)Vault.Properties["enableRbacAuthorization"]!);
        Assert.True((bool)Vault.Properties["enableSoftDelete"]!);
        Assert.True((bool)Vault.Properties["enablePurgeProtection"]!);
        Assert.Null(Vault.Properties["accessPolicies"]);
    }

    [Theory]
    [MemberData(nameof(Secrets))]
    public void Each_setting_is_a_reference_to_a_vault_secret_filled_from_a_secure_parameter(string setting, string nameKey, string secretName, string parameter)
    {
        var reference = (string)AppSettings[setting]!;
        Assert.Equal($"[format('@Microsoft.KeyVault(VaultName={{0}};SecretName={{1}})', parameters('vaultName'), parameters('secretNames').{nameKey})]", reference);
        Assert.True(Site.Scope.ModuleParameterReadsOutput("vaultName", module: "vault", output: "name"));
        Assert.True(Site.Scope.ModuleParameterReadsOutput("secretNames", module: "vault", output: "secretNames"));

        // The vault's output maps the key to the secret resource the module declares.
        var secret = Assert.Single(Template.Resources("Microsoft.KeyVault/vaults/secrets"), s => s.LastNameSegments().Contains(secretName));
        Assert.Equal(secretName, (string?)Vault.Scope.Outputs["secretNames"]!["value"]![nameKey]);
        var value = TemplateScope.ParameterNamed(secret.Properties["value"])!;
        Assert.True(secret.Scope.IsSecure(value));
        Assert.Equal($"[parameters('{parameter}')]", (string?)secret.Scope.Deployment!["properties"]!["parameters"]![value]!["value"]);
        Assert.True(Template.Root.IsSecure(parameter));
    }

    [Fact]
    public void The_app_resolves_references_with_its_user_assigned_identity_which_may_only_read_secrets()
    {
        Assert.Equal("[parameters('identityId')]", (string?)Site.Properties["keyVaultReferenceIdentity"]);

        var grant = Assert.Single(Template.Resources("Microsoft.Authorization/roleAssignments"), a => a.Scope == Vault.Scope);
        // Key Vault Secrets User: get secret values; no write, no key or certificate operations.
        Assert.Contains("'4633458b-17de-408a-b874-0445c86b69e6'", (string)grant.Properties["roleDefinitionId"]!);
        Assert.Contains("Microsoft.KeyVault/vaults", (string)grant.Json["scope"]!);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", (string)grant.Properties["principalId"]!);
        Assert.True(Vault.Scope.ModuleParameterReadsOutput("identityName", module: "identity", output: "name"));
    }

    [Fact]
    public void Azd_makes_the_ledger_key_before_provisioning_and_the_script_makes_a_p256_pkcs8_key()
    {
        var azureYaml = File.ReadAllText(Path.Combine(BicepCli.RepoRoot, "azure.yaml"));
        Assert.Contains("preprovision:", azureYaml);
        Assert.Contains("run: scripts/ledger-key.sh", azureYaml);

        var script = new System.Diagnostics.ProcessStartInfo(Path.Combine(BicepCli.RepoRoot, "scripts", "ledger-key.sh"), "--print")
        { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(script)!;
        var printed = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain('\n', printed);

        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(printed), out _);
        Assert.Equal(256, key.KeySize);
    }
}
