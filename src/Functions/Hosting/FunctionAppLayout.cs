using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;

namespace GivingDay.Functions.Hosting;

/// <summary>Derives the Functions host's artefacts from the one declaration of each function: a folder per
/// function with its function.json. HTTP functions are the named endpoints under /api; queue and timer
/// functions come from the catalog.</summary>
public static class FunctionAppLayout
{
    public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods);

    public static IReadOnlyList<HttpFunction> HttpFunctions(IEndpointRouteBuilder app) =>
        app.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
            .Select(e => (Endpoint: e, Name: e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName))
            .Where(e => e.Name is not null)
            .Select(e => new HttpFunction(e.Name!, e.Endpoint.RoutePattern.RawText!.TrimStart('/')["api/".Length..],
                e.Endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Select(m => m.ToLowerInvariant()).ToList() ?? ["get"]))
            .OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    public static JsonObject FunctionJson(HttpFunction f) => new()
    {
        ["bindings"] = new JsonArray(
            new JsonObject { ["type"] = "httpTrigger", ["direction"] = "in", ["name"] = "req", ["authLevel"] = "anonymous",
                ["methods"] = new JsonArray(f.Methods.Select(m => (JsonNode)m).ToArray()), ["route"] = f.Route },
            new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
    };

    public static JsonObject FunctionJson(FunctionDeclaration f) => f switch
    {
        QueueFunction q => new JsonObject
        {
            ["bindings"] = new JsonArray(new JsonObject
            { ["type"] = "queueTrigger", ["direction"] = "in", ["name"] = "message", ["queueName"] = q.Queue, ["connection"] = "AzureWebJobsStorage" }),
        },
        TimerFunction t => new JsonObject
        {
            ["bindings"] = new JsonArray(new JsonObject
            { ["type"] = "timerTrigger", ["direction"] = "in", ["name"] = "timer", ["schedule"] = $"%{t.ScheduleSetting}%", ["useMonitor"] = true }),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    /// <summary>Writes host.json and every function's folder into <paramref name="outputDir"/>.</summary>
    public static IReadOnlyList<string> Write(WebApplication app, string outputDir)
    {
        Directory.CreateDirectory(outputDir);
        var hostJson = new[] { Path.Combine(app.Environment.ContentRootPath, "host.json"), Path.Combine(AppContext.BaseDirectory, "host.json") }.First(File.Exists);
        File.Copy(hostJson, Path.Combine(outputDir, "host.json"), overwrite: true);
        var written = new List<string>();
        var options = new JsonSerializerOptions { WriteIndented = true };
        void WriteOne(string name, JsonObject json)
        {
            var dir = Path.Combine(outputDir, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "function.json"), json.ToJsonString(options));
            written.Add(name);
        }
        foreach (var f in HttpFunctions(app)) WriteOne(f.Name, FunctionJson(f));
        foreach (var f in app.Services.GetRequiredService<IReadOnlyList<FunctionDeclaration>>()) WriteOne(f.Name, FunctionJson(f));
        return written;
    }
}
