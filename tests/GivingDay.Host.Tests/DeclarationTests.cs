using System.Text.Json;
using GivingDay.Functions;
using GivingDay.Functions.Functions;
using GivingDay.Functions.Hosting;
using GivingDay.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GivingDay.Host.Tests;

/// <summary>One declaration per function: the hosted artefacts and the standalone listeners agree with it.</summary>
public class DeclarationTests
{
    private static Microsoft.AspNetCore.Builder.WebApplication Build() => GivingDayApp.Build([], b =>
        b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = Azurite.ConnectionString }));

    [Fact]
    public async Task Emitted_function_json_files_match_the_declarations_and_the_standalone_listeners()
    {
        await using var app = Build();
        var dir = Directory.CreateTempSubdirectory("functionapp-").FullName;
        FunctionAppLayout.Write(app, dir);

        var http = FunctionAppLayout.HttpFunctions(app);
        Assert.Contains(http, f => f.Name == "PostPledge" && f.Route == "campaigns/{campaignId}/pledges" && f.Methods.SequenceEqual(["post"]));
        Assert.Contains(http, f => f.Name == "GetLeaderboard" && f.Route == "campaigns/{campaignId}/leaderboard");
        Assert.Contains(http, f => f.Name == "Health" && f.Route == "health");
        foreach (var f in http)
        {
            var binding = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, f.Name, "function.json"))).RootElement.GetProperty("bindings");
            Assert.Equal("httpTrigger", binding[0].GetProperty("type").GetString());
            Assert.Equal(f.Route, binding[0].GetProperty("route").GetString());
            Assert.Equal(f.Methods, binding[0].GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal("http", binding[1].GetProperty("type").GetString());
        }
        foreach (var f in FunctionCatalog.All)
        {
            var binding = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, f.Name, "function.json"))).RootElement.GetProperty("bindings")[0];
            switch (f)
            {
                case QueueFunction q:
                    Assert.Equal("queueTrigger", binding.GetProperty("type").GetString());
                    Assert.Equal(q.Queue, binding.GetProperty("queueName").GetString());
                    Assert.Equal("AzureWebJobsStorage", binding.GetProperty("connection").GetString());
                    break;
                case TimerFunction t:
                    Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
                    Assert.Equal($"%{t.ScheduleSetting}%", binding.GetProperty("schedule").GetString());
                    break;
            }
        }
        // Nothing else was written, and every folder is a declared function.
        var folders = Directory.GetDirectories(dir).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(http.Select(f => f.Name).Concat(FunctionCatalog.All.Select(f => f.Name)).Order(), folders);

        // Standalone: one listener per queue function, one scheduler per timer function, for the same names.
        var hosted = app.Services.GetServices<IHostedService>().ToList();
        Assert.Equal(FunctionCatalog.All.OfType<QueueFunction>().Count(), hosted.OfType<QueueListener>().Count());
        Assert.Equal(FunctionCatalog.All.OfType<TimerFunction>().Count(), hosted.OfType<TimerScheduler>().Count());
    }

    [Fact]
    public void Host_json_configures_the_custom_handler()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Azurite.RepoRoot(), "host.json"))).RootElement;
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", host.GetProperty("extensionBundle").GetProperty("id").GetString());
        Assert.Equal("[4.*, 5.0.0)", host.GetProperty("extensionBundle").GetProperty("version").GetString());
        var handler = host.GetProperty("customHandler");
        Assert.Equal("handler/GivingDay.Functions", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.InRange(host.GetProperty("extensions").GetProperty("queues").GetProperty("batchSize").GetInt32(), 1, 32);
    }

    [Fact]
    public void The_publish_command_builds_a_self_contained_linux_handler_and_the_layout()
    {
        var script = File.ReadAllText(Path.Combine(Azurite.RepoRoot(), "scripts", "publish.sh"));
        Assert.Contains("-r linux-x64", script);
        Assert.Contains("--self-contained true", script);
        Assert.Contains("--emit-function-app", script);
        Assert.Contains("handler", script);
    }
}
