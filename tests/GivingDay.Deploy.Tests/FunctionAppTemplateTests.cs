using System.Text.Json.Nodes;
using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>The function app runs on Flex Consumption as a .NET 10 isolated-worker app, under the user-assigned
/// identity, with host storage reached by that identity and the settings the app reads.</summary>
public class FunctionAppTemplateTests
{
    private static readonly ArmTemplate Template = ArmTemplate.Main;
    private static ArmResource Site => Template.Single("Microsoft.Web/sites");
    private static JsonObject FunctionAppConfig => Site.Properties["functionAppConfig"]!.AsObject();

    private static JsonObject AppSettings =>
        Template.Resources("Microsoft.Web/sites/config").Single(c => c.Name.EndsWith("'appsettings')]")).Properties;

    [Fact]
    public void Plan_is_flex_consumption_on_linux()
    {
        var plan = Template.Single("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", (string?)plan.Json["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan.Json["sku"]!["tier"]);
        Assert.True((bool)plan.Properties["reserved"]!);
    }

    [Fact]
    public void Function_app_is_a_linux_dotnet_isolated_10_app_on_that_plan()
    {
        Assert.Equal("functionapp,linux", (string?)Site.Json["kind"]);
        Assert.Contains("Microsoft.Web/serverfarms", (string)Site.Properties["serverFarmId"]!);
        Assert.Equal("dotnet-isolated", (string?)FunctionAppConfig["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)FunctionAppConfig["runtime"]!["version"]);
        Assert.True((bool)Site.Properties["httpsOnly"]!);
        // Flex Consumption takes the stack from functionAppConfig and refuses the worker runtime setting.
        Assert.False(AppSettings.ContainsKey("FUNCTIONS_WORKER_RUNTIME"));
    }

    [Fact]
    public void Scale_is_bounded_by_instance_memory_and_count()
    {
        var scale = FunctionAppConfig["scaleAndConcurrency"]!;

        Assert.Equal(2048, Site.Scope.Resolve(scale["instanceMemoryMB"])!.GetValue<int>());
        Assert.InRange(Site.Scope.Resolve(scale["maximumInstanceCount"])!.GetValue<int>(), 1, 1000);
    }

    [Fact]
    public void Function_app_runs_as_the_user_assigned_identity()
    {
        Assert.Equal("UserAssigned", (string?)Site.Json["identity"]!["type"]);
        Assert.True(Site.Scope.ModuleParameterReadsOutput("identityId", module: "identity", output: "id"));
        Assert.True(Site.Scope.ModuleParameterReadsOutput("identityClientId", module: "identity", output: "clientId"));
    }

    [Fact]
    public void Deployment_package_is_fetched_from_blob_storage_with_the_identity()
    {
        var storage = FunctionAppConfig["deployment"]!["storage"]!;

        Assert.Equal("blobContainer", (string?)storage["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)storage["authentication"]!["type"]);
        Assert.Equal("[parameters('identityId')]", (string?)storage["authentication"]!["userAssignedIdentityResourceId"]);
        Assert.Equal("[parameters('deploymentContainerUrl')]", (string?)storage["value"]);
        Assert.True(Site.Scope.ModuleParameterReadsOutput("deploymentContainerUrl", module: "storage", output: "deploymentContainerUrl"));
    }

    [Fact]
    public void Host_storage_is_reached_by_identity_not_by_connection_string()
    {
        var settings = AppSettings;

        Assert.False(settings.ContainsKey("AzureWebJobsStorage"));
        Assert.Equal("managedidentity", (string?)settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('identityClientId')]", (string?)settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal("[parameters('storageAccountName')]", (string?)settings["AzureWebJobsStorage__accountName"]);
        Assert.True(Site.Scope.ModuleParameterReadsOutput("storageAccountName", module: "storage", output: "name"));
    }

    [Fact]
    public void Telemetry_is_sent_with_the_identity()
    {
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
            (string?)AppSettings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        var insights = Template.Single("Microsoft.Insights/components");
        Assert.True((bool)insights.Properties["DisableLocalAuth"]!);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", (string)insights.Properties["WorkspaceResourceId"]!);

        // Monitoring Metrics Publisher on the component, for the same identity.
        var grant = Assert.Single(Template.Resources("Microsoft.Authorization/roleAssignments"),
            a => ((string)a.Properties["roleDefinitionId"]!).Contains("'3913510d-42f4-4e42-8a64-420c390055eb'"));
        Assert.Equal("[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]", (string?)grant.Json["scope"]);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", (string)grant.Properties["principalId"]!);
    }

    [Fact]
    public void App_settings_carry_the_configuration_the_app_reads_with_its_defaults()
    {
        var settings = AppSettings;
        JsonNode? Default(string setting) => Site.Scope.Resolve(settings[setting]);

        Assert.Equal("0 * * * * *", (string?)Default("SnapshotSchedule"));
        // The timers read %SnapshotSchedule% and %RedriveSchedule%: the Functions host fails a timer whose setting is missing.
        Assert.Equal("*/15 * * * * *", (string?)Default("RedriveSchedule"));
        Assert.Equal("[string(parameters('rateLimitPerClientPerSecond'))]", (string?)settings["RateLimit__PerClientPerSecond"]);
        Assert.Equal(20, Site.Scope.ValueOfParameter("rateLimitPerClientPerSecond")!.GetValue<int>());
        // The secrets come from Key Vault references (KeyVaultTemplateTests); the ledger never signs with a generated key.
        Assert.StartsWith("[format('@Microsoft.KeyVault(", (string?)settings["Organiser__ApiKey"]);
        Assert.StartsWith("[format('@Microsoft.KeyVault(", (string?)settings["Hashing__DonorKey"]);
        Assert.Equal("false", (string?)settings["Ledger__AllowDevelopmentKey"]);
    }

    [Fact]
    public void Azd_deploys_the_api_service_to_this_function_app()
    {
        var azureYaml = File.ReadAllLines(Path.Combine(BicepCli.RepoRoot, "azure.yaml"));
        var services = azureYaml.SkipWhile(l => l.Trim() != "services:").Skip(1)
            .Where(l => l.Length > 2 && l.StartsWith("  ") && !l.StartsWith("   ") && l.TrimEnd().EndsWith(':'))
            .Select(l => l.Trim().TrimEnd(':')).ToList();

        Assert.Equal(["api"], services);
        Assert.Contains(azureYaml, l => l.Trim() == "host: function");
        // azd publishes the isolated-worker project itself, as it deploys any .NET function app.
        Assert.Contains(azureYaml, l => l.Trim() == "language: dotnet");
        Assert.Contains(azureYaml, l => l.Trim() == "project: ./src/Functions");
        Assert.True(File.Exists(Path.Combine(BicepCli.RepoRoot, "src", "Functions", "GivingDay.Functions.csproj")));
        Assert.Contains("createObject('azd-service-name', 'api')", (string)Site.Json["tags"]!);
    }

    [Fact]
    public void Pages_on_the_static_site_may_call_the_api()
    {
        Assert.Equal("[parameters('allowedOrigins')]", (string?)Site.Properties["siteConfig"]!["cors"]!["allowedOrigins"]);
        var origins = Site.Scope.Deployment!["properties"]!["parameters"]!["allowedOrigins"]!["value"]!.AsArray();
        var origin = (string)Assert.Single(origins)!;
        Assert.StartsWith("[reference(", origin);
        Assert.EndsWith("'Microsoft.Resources/deployments', 'web'), '2025-04-01').outputs.url.value]", origin);
    }

    [Fact]
    public void Basic_auth_publishing_is_off()
    {
        var policies = Template.Resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();

        Assert.Equal(["ftp", "scm"], policies.SelectMany(p => p.LastNameSegments()).Order());
        Assert.All(policies, p => Assert.False((bool)p.Properties["allow"]!));
    }
}
