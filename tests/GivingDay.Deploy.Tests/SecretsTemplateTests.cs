using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GivingDay.Deploy.Tests.Infrastructure;

namespace GivingDay.Deploy.Tests;

/// <summary>No secret is written into the template, none has a default, every module that receives
/// one keeps it secure, and nothing secret comes back out as an output.</summary>
public partial class SecretsTemplateTests
{
    private static readonly ArmTemplate Template = ArmTemplate.Main;

    [Theory]
    [InlineData("organiserApiKey")]
    [InlineData("donorHashKey")]
    [InlineData("ledgerSigningKey")]
    public void Secret_parameters_are_secure_and_have_no_default(string parameter)
    {
        var declared = Template.Root.Parameters[parameter]!;

        Assert.Equal("securestring", (string?)declared["type"]);
        Assert.Null(declared["defaultValue"]);
    }

    [Fact]
    public void Every_module_keeps_a_secret_it_is_given_secure()
    {
        var handedOn = 0;
        foreach (var scope in Template.Scopes.Where(s => s.Parent is not null))
            foreach (var (name, passed) in scope.Deployment!["properties"]!["parameters"]!.AsObject())
                if (TemplateScope.ParameterNamed(passed!["value"]) is { } outer && scope.Parent!.IsSecure(outer))
                {
                    handedOn++;
                    Assert.True(scope.IsSecure(name), $"module {scope.Name} receives secure {outer} in parameter {name}, which is not secure");
                }

        Assert.True(handedOn >= 3, "the three secrets should reach the vault module");
    }

    [Fact]
    public void Template_holds_no_account_key_connection_string_or_key_listing()
    {
        foreach (var forbidden in new[] { "AccountKey", "listKeys", "DefaultEndpointsProtocol", "SharedAccessSignature", "listAccountSas" })
            Assert.DoesNotContain(forbidden, Template.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void No_output_exposes_a_secret()
    {
        var outputs = 0;
        foreach (var scope in Template.Scopes)
            foreach (var (name, output) in scope.Outputs)
            {
                outputs++;
                var value = output!["value"]?.ToJsonString() ?? "";
                Assert.NotEqual("securestring", (string?)output["type"]);
                Assert.DoesNotMatch(ListFunction(), value);
                Assert.DoesNotContain("ConnectionString", value, StringComparison.OrdinalIgnoreCase);
                foreach (Match reference in ParameterReference().Matches(value))
                    Assert.False(scope.IsSecure(reference.Groups[1].Value), $"output {name} of {scope.Name} reads secure parameter {reference.Groups[1].Value}");
            }

        Assert.True(outputs > 0);
    }

    [Fact]
    public void Main_outputs_name_the_function_app_and_the_static_site()
    {
        var outputs = Template.Root.Outputs;

        Assert.True(Template.Root.Outputs.ContainsKey("SERVICE_API_NAME"));
        Assert.Contains(".outputs.url.value", (string)outputs["SERVICE_API_URI"]!["value"]!);
        Assert.Contains("'api')", (string)outputs["SERVICE_API_URI"]!["value"]!);
        Assert.Contains("'web')", (string)outputs["STATIC_WEB_APP_URL"]!["value"]!);
        var staticSite = Template.Single("Microsoft.Web/staticSites");
        Assert.Equal("Free", (string?)staticSite.Json["sku"]!["name"]);
    }

    [GeneratedRegex(@"\blist\w*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"parameters\('([^']+)'\)")]
    private static partial Regex ParameterReference();
}
