using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GivingDay.Deploy.Tests.Infrastructure;

/// <summary>The ARM JSON that `bicep build infra/main.bicep` produces, compiled once per test run,
/// with its nested module deployments flattened into scopes so that tests can ask for every
/// resource of a type, wherever the module that declares it sits.</summary>
public sealed class ArmTemplate
{
    private static readonly Lazy<ArmTemplate> Compiled = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>infra/main.bicep, compiled by the pinned Bicep CLI.</summary>
    public static ArmTemplate Main => Compiled.Value;

    public string Json { get; }
    public TemplateScope Root { get; }
    public IReadOnlyList<TemplateScope> Scopes { get; }

    private ArmTemplate(string json)
    {
        Json = json;
        Root = new TemplateScope("main", JsonNode.Parse(json)!.AsObject(), Parent: null, Deployment: null);
        var scopes = new List<TemplateScope>();
        void Collect(TemplateScope scope)
        {
            scopes.Add(scope);
            foreach (var deployment in scope.ResourcesOfType("Microsoft.Resources/deployments"))
                Collect(new TemplateScope(deployment.Name, deployment.Properties["template"]!.AsObject(), scope, deployment.Json));
        }
        Collect(Root);
        Scopes = scopes;
    }

    public IEnumerable<ArmResource> Resources(string type) => Scopes.SelectMany(s => s.ResourcesOfType(type));

    public ArmResource Single(string type)
    {
        var found = Resources(type).ToList();
        Assert.True(found.Count == 1, $"expected one {type}, found {found.Count}");
        return found[0];
    }

    private static ArmTemplate Compile()
    {
        var folder = Directory.CreateTempSubdirectory("givingday-bicep-").FullName;
        try
        {
            var output = Path.Combine(folder, "main.json");
            var result = BicepCli.Run("build", BicepCli.MainTemplate, "--outfile", output);
            if (result.ExitCode != 0) throw new InvalidOperationException($"bicep build failed: {result}");
            return new ArmTemplate(File.ReadAllText(output));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}

/// <summary>One template: the main one, or a module's, nested in the deployment resource that runs it.</summary>
public sealed partial record TemplateScope(string Name, JsonObject Template, TemplateScope? Parent, JsonObject? Deployment)
{
    public IEnumerable<ArmResource> ResourcesOfType(string type)
    {
        // Bicep writes resources as an array, or, in language version 2.0, as an object keyed by symbolic name.
        var resources = Template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject map => map.Select(p => p.Value!.AsObject()),
            _ => [],
        };
        // Language version 2.0 also lists `existing` resources, which the deployment only reads.
        return resources
            .Where(r => (string?)r["type"] == type && r["existing"]?.GetValue<bool>() != true)
            .Select(r => new ArmResource(this, r));
    }

    public JsonObject Parameters => Template["parameters"]?.AsObject() ?? [];
    public JsonObject Outputs => Template["outputs"]?.AsObject() ?? [];

    public bool IsSecure(string parameter) =>
        Parameters[parameter]?["type"]?.GetValue<string>() is "securestring" or "secureObject";

    /// <summary>The parameter an expression is exactly, `[parameters('x')]`, if it is one.</summary>
    public static string? ParameterNamed(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text) && ParameterExpression().Match(text) is { Success: true } m
            ? m.Groups[1].Value : null;

    /// <summary>Follows a parameter up through the module deployments to the value it gets when
    /// main.bicep is deployed with its defaults: a literal, or the expression it comes from.</summary>
    public JsonNode? ValueOfParameter(string parameter)
    {
        if (Deployment is null || Parent is null)
            return Parameters[parameter]?["defaultValue"];
        var passed = Deployment["properties"]?["parameters"]?[parameter]?["value"];
        if (passed is null) return Parameters[parameter]?["defaultValue"];
        return ParameterNamed(passed) is { } outer ? Parent.ValueOfParameter(outer) : passed;
    }

    /// <summary>Whether this module is given <paramref name="parameter"/> straight from an output of the
    /// sibling module deployment <paramref name="module"/>.</summary>
    public bool ModuleParameterReadsOutput(string parameter, string module, string output) =>
        Deployment?["properties"]?["parameters"]?[parameter]?["value"] is JsonValue v && v.TryGetValue<string>(out var text)
        && text.StartsWith("[reference(") && text.Contains($"'Microsoft.Resources/deployments', '{module}')")
        && text.EndsWith($".outputs.{output}.value]");

    /// <summary>A value with `[parameters('x')]` and `[variables('x')]` replaced by what they stand for.</summary>
    public JsonNode? Resolve(JsonNode? value)
    {
        if (ParameterNamed(value) is { } parameter) return ValueOfParameter(parameter);
        if (value is JsonValue v && v.TryGetValue<string>(out var text) && VariableExpression().Match(text) is { Success: true } m)
            return Resolve(Template["variables"]?[m.Groups[1].Value]);
        return value;
    }

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex ParameterExpression();

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    private static partial Regex VariableExpression();
}

public sealed partial record ArmResource(TemplateScope Scope, JsonObject Json)
{
    public string Type => (string)Json["type"]!;
    public string Name => (string)Json["name"]!;
    public JsonObject Properties => Json["properties"]?.AsObject() ?? [];

    /// <summary>The names this resource's last name segment takes: one literal, or each element of
    /// the variable a copy loop walks (`variables('v')[copyIndex()]`).</summary>
    public IReadOnlyList<string> LastNameSegments()
    {
        if (!Name.StartsWith('[')) return [Name.Split('/')[^1]];
        if (LoopVariable().Match(Name) is { Success: true } loop)
            return Scope.Template["variables"]![loop.Groups[1].Value]!.AsArray()
                .Select(element => Scope.Resolve(element)!.GetValue<string>()).ToList();
        if (LastLiteral().Match(Name) is { Success: true } literal) return [literal.Groups[1].Value];
        return [];
    }

    [GeneratedRegex(@"variables\('([^']+)'\)\[copyIndex\(\)\]\)\]$")]
    private static partial Regex LoopVariable();

    [GeneratedRegex(@"'([^']*)'\)\]$")]
    private static partial Regex LastLiteral();
}
