using System.Text.Json.Nodes;
using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>infra/main.parameters.json, which azd fills from the environment, names only parameters
/// main.bicep has and gives every required one a value (azd prompts when the variable is unset).</summary>
public class ParametersFileTests
{
    private static readonly JsonObject Parameters =
        JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraFolder, "main.parameters.json")))!["parameters"]!.AsObject();

    [Fact]
    public void Parameters_file_names_only_parameters_of_main()
    {
        var declared = ArmTemplate.Main.Root.Parameters.Select(p => p.Key).ToHashSet();

        Assert.All(Parameters.Select(p => p.Key), name => Assert.Contains(name, declared));
    }

    [Fact]
    public void Every_required_parameter_is_mapped_from_the_environment()
    {
        var required = ArmTemplate.Main.Root.Parameters.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key).ToList();

        Assert.Contains("organiserApiKey", required);
        Assert.All(required, name => Assert.Matches(@"^\$\{[A-Z_]+\}$", (string?)Parameters[name]?["value"] ?? ""));
        Assert.Equal("${AZURE_ENV_NAME}", (string?)Parameters["environmentName"]!["value"]);
        Assert.Equal("${AZURE_LOCATION}", (string?)Parameters["location"]!["value"]);
    }
}
