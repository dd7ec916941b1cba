using System.Reflection;
using System.Text.Json;
using GivingDay.StandaloneHost;
using GivingDay.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GivingDay.Host.Tests;

/// <summary>One declaration per function: the functions.metadata that the Worker SDK generated from the function app's
/// attributes (what the Functions host runs in Azure) and what the standalone host serves and listens to agree, one to one.</summary>
public class FunctionsMetadataTests : IAsyncLifetime
{
    private AppInstance _app = null!;

    public async Task InitializeAsync() => _app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
    public async Task DisposeAsync() => await _app.DisposeAsync();

    private sealed record Declared(string Name, string Type, string? Route, string[]? Methods, string? Queue, string? Connection, string? Schedule);

    /// <summary>The Worker SDK writes functions.metadata at build; the function app's build copies it beside this test.</summary>
    private static List<Declared> Metadata()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"no functions.metadata at {path}: the Worker SDK did not generate it");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(f =>
        {
            var trigger = f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
            string? S(string name) => trigger.TryGetProperty(name, out var v) ? v.GetString() : null;
            return new Declared(f.GetProperty("name").GetString()!, S("type")!, S("route"),
                trigger.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).Order().ToArray() : null,
                S("queueName"), S("connection"), S("schedule"));
        }).ToList();
    }

    [Fact]
    public void The_metadata_lists_every_function_of_the_app()
    {
        var names = Metadata().Select(f => f.Name).Order().ToList();
        Assert.Equal(
            ["CloseCampaign", "CountPledges", "FinalizeCampaign", "GetCampaign", "GetLeaderboard", "GetLedgerCheckpoint", "GetLedgerConsistency",
             "GetLedgerEntries", "GetLedgerProof", "GetLedgerPublicKey", "GetPledge", "GetSnapshot", "Health", "HealthReady",
             "ImportOfflinePledges", "ListCampaigns", "ListSnapshots", "PostPledge", "PutCampaign", "RedrivePledges", "SnapshotProgress"],
            names);
        Assert.Contains(Metadata(), f => f is { Name: "PostPledge", Type: "httpTrigger", Route: "campaigns/{campaignId}/pledges" } && f.Methods!.SequenceEqual(["POST"]));
    }

    [Fact]
    public void Every_http_function_is_served_by_the_standalone_host_with_its_route_and_methods_and_nothing_else_is()
    {
        var served = _app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .Select(e => (Name: e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName, Route: e.RoutePattern.RawText!["/api/".Length..],
                Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Order().ToArray()))
            .OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var declared = Metadata().Where(f => f.Type == "httpTrigger").OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(declared.Select(f => f.Name), served.Select(e => e.Name));
        foreach (var (f, e) in declared.Zip(served))
        {
            Assert.Equal(f.Route, e.Route);
            Assert.Equal(f.Methods, e.Methods);
        }
    }

    [Fact]
    public void Every_queue_and_timer_function_is_a_webjobs_trigger_on_the_same_queue_or_schedule()
    {
        var configuration = _app.App.Services.GetRequiredService<IConfiguration>();
        var adapters = typeof(TriggerAdapters).GetMethods()
            .Select(m => (Name: m.GetCustomAttribute<FunctionNameAttribute>()?.Name, Parameter: m.GetParameters().FirstOrDefault()))
            .Where(m => m.Name is not null)
            .ToDictionary(m => m.Name!, m => m.Parameter!);
        var declared = Metadata().Where(f => f.Type != "httpTrigger").ToList();

        Assert.Equal(declared.Select(f => f.Name).Order(), adapters.Keys.Order());
        foreach (var f in declared)
        {
            var parameter = adapters[f.Name];
            switch (f.Type)
            {
                case "queueTrigger":
                    var queue = parameter.GetCustomAttribute<QueueTriggerAttribute>();
                    Assert.NotNull(queue);
                    // With no storage prefix (as in Azure) the standalone queue is the declared queue.
                    Assert.Equal(WebJobsTriggers.QueuePrefix + f.Queue, queue.QueueName);
                    Assert.Equal(f.Connection, queue.Connection);
                    break;
                case "timerTrigger":
                    var timer = parameter.GetCustomAttribute<TimerTriggerAttribute>();
                    Assert.NotNull(timer);
                    Assert.Equal(f.Schedule, timer.ScheduleExpression);
                    // %Setting% resolves to a 6-field NCRONTAB in both hosts: the standalone host supplies the defaults
                    // that the deployment sets as app settings in Azure.
                    var setting = f.Schedule!.Trim('%');
                    Assert.Equal(6, configuration[setting]!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
                    break;
                default:
                    Assert.Fail($"{f.Name}: unexpected trigger {f.Type}");
                    break;
            }
        }
    }

    [Fact]
    public void Host_json_is_the_isolated_worker_hosts_with_no_custom_handler()
    {
        var text = File.ReadAllText(Path.Combine(Azurite.RepoRoot(), "host.json"));
        var host = JsonDocument.Parse(text).RootElement;
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        // Only what the isolated worker's host reads: no handler description, no extension bundle (the worker's
        // extensions are built into the package).
        Assert.Equal(["extensions", "functionTimeout", "logging", "version"], host.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.InRange(host.GetProperty("extensions").GetProperty("queues").GetProperty("batchSize").GetInt32(), 1, 32);
        // The same file sits beside the standalone host and configures it.
        Assert.Equal(text, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));
    }
}
