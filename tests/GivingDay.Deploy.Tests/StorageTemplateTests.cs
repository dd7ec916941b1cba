using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>The storage account takes no shared keys and no anonymous readers, holds every table,
/// queue and container the app names, and grants the function app's identity its data roles.</summary>
public class StorageTemplateTests
{
    private static readonly ArmTemplate Template = ArmTemplate.Main;

    // Built-in role definition ids (the same in every tenant).
    private const string BlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string QueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string StorageAccountContributor = "17d1049b-9a84-46fb-8f53-869881c3d3ab";

    [Fact]
    public void Storage_account_refuses_shared_keys_anonymous_blobs_plain_http_and_old_tls()
    {
        var storage = Template.Single("Microsoft.Storage/storageAccounts").Properties;

        Assert.False((bool)storage["allowSharedKeyAccess"]!);
        Assert.False((bool)storage["allowBlobPublicAccess"]!);
        Assert.True((bool)storage["supportsHttpsTrafficOnly"]!);
        Assert.Equal("TLS1_2", (string?)storage["minimumTlsVersion"]);
    }

    [Fact]
    public void Every_table_the_app_uses_is_created()
    {
        var tables = Template.Resources("Microsoft.Storage/storageAccounts/tableServices/tables").SelectMany(t => t.LastNameSegments());

        // The app's tables: StorageNames' *Table constants and the public ledger's (src/Shared), spelled out here since this
        // project does not reference the app.
        Assert.Equal(["activity", "campaigns", "donordownloads", "ledger", "publicledger"], tables.Order());
    }

    [Fact]
    public void Every_queue_and_its_poison_queue_is_created()
    {
        var queues = Template.Resources("Microsoft.Storage/storageAccounts/queueServices/queues").SelectMany(q => q.LastNameSegments());

        Assert.Equal(["campaign-close", "campaign-close-poison", "pledges", "pledges-poison"], queues.Order());
    }

    [Fact]
    public void Snapshot_lock_ledger_key_and_package_containers_are_created_private()
    {
        var containers = Template.Resources("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();

        Assert.Equal(["app-package", "ledger-keys", "locks", "snapshots"], containers.SelectMany(c => c.LastNameSegments()).Order());
        Assert.All(containers, c => Assert.Equal("None", (string?)c.Properties["publicAccess"]));
    }

    [Theory]
    [InlineData(BlobDataOwner)]
    [InlineData(QueueDataContributor)]
    [InlineData(TableDataContributor)]
    public void Function_app_identity_holds_the_data_role_on_the_storage_account(string roleDefinitionId)
    {
        var grants = Template.Resources("Microsoft.Authorization/roleAssignments")
            .Where(a => ((string)a.Properties["roleDefinitionId"]!).Contains($"'{roleDefinitionId}'"))
            .Where(a => ((string)a.Properties["principalId"]!).Contains("Microsoft.ManagedIdentity/userAssignedIdentities"))
            .ToList();

        var grant = Assert.Single(grants);
        Assert.Equal("ServicePrincipal", (string?)grant.Properties["principalType"]);
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]", (string?)grant.Json["scope"]);
        // The identity it names comes from the identity module, the one the function app runs as.
        Assert.True(grant.Scope.ModuleParameterReadsOutput("identityName", module: "identity", output: "name"));
    }

    [Fact]
    public void No_management_role_is_granted_since_no_blob_trigger_needs_one()
    {
        var assignments = Template.Resources("Microsoft.Authorization/roleAssignments").ToList();

        Assert.NotEmpty(assignments);
        Assert.DoesNotContain(assignments, a => ((string)a.Properties["roleDefinitionId"]!).Contains(StorageAccountContributor));
    }

}
