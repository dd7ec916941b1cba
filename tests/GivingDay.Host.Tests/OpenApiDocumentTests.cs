using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Functions.Http;
using GivingDay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.OpenApi;

namespace GivingDay.Host.Tests;

/// <summary>The OpenAPI document: every HTTP function the Worker SDK declared is in it with its method and route and a
/// contract (summary, success answer), both hosts serve the same bytes, it is OpenAPI 3.1 whose every $ref resolves,
/// and the standalone host's reference page shows it. (Every API test checks its exchanges against it: ContractCheck.)</summary>
public class OpenApiDocumentTests : IAsyncLifetime
{
    private AppInstance _app = null!;

    public async Task InitializeAsync() => _app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<string> ServedAsync()
    {
        var response = await _app.Http.GetAsync("/api/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Every_http_function_in_the_metadata_is_an_operation_with_its_method_route_and_contract()
    {
        var paths = JsonNode.Parse(await ServedAsync())!["paths"]!.AsObject();
        var declared = FunctionsMetadataTests.Metadata().Where(f => f.Type == "httpTrigger").ToList();
        var missing = new List<string>();
        foreach (var f in declared)
            foreach (var method in f.Methods!)
            {
                var operation = paths[$"/{f.Route}"]?[method.ToLowerInvariant()];
                if (operation is null || operation["operationId"]?.GetValue<string>() != f.Name)
                {
                    missing.Add($"{f.Name}: {method} /{f.Route} is not in the document");
                    continue;
                }
                if (operation["summary"] is null) missing.Add($"{f.Name}: no summary — add [EndpointSummary(\"...\")]");
                if (!operation["responses"]!.AsObject().Any(r => r.Key.StartsWith('2')))
                    missing.Add($"{f.Name}: no success answer — add [Answer<T>(200, \"...\")] (and a [Problem(status, \"...\")] for each failure)");
            }
        Assert.True(missing.Count == 0, "The OpenAPI document lacks:\n" + string.Join("\n", missing));

        var operations = paths.SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key} {o.Value!["operationId"]}")).Order();
        Assert.Equal(declared.SelectMany(f => f.Methods!.Select(m => $"{m} /{f.Route} {f.Name}")).Order(), operations);
    }

    [Fact]
    public async Task Both_hosts_serve_the_same_document_with_an_etag()
    {
        // As the Functions worker calls it: the function class, a request for the route under host.json's prefix.
        var context = new DefaultHttpContext { RequestServices = _app.App.Services };
        context.Request.Method = "GET";
        context.Request.Path = "/api/openapi/v1.json";
        var body = new MemoryStream();
        context.Response.Body = body;
        await new OpenApiFunctions().OpenApiDocument(context.Request).ExecuteAsync(context);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.StartsWith("application/json", context.Response.ContentType);
        var direct = Encoding.UTF8.GetString(body.ToArray());

        var served = await ServedAsync();
        Assert.Equal(direct, served);
        Assert.Contains("\"url\": \"/api\"", served);

        var again = new HttpRequestMessage(HttpMethod.Get, "/api/openapi/v1.json");
        again.Headers.IfNoneMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Parse(context.Response.Headers.ETag.ToString()));
        Assert.Equal(HttpStatusCode.NotModified, (await _app.Http.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task The_document_is_openapi_3_1_whose_every_reference_resolves_and_every_schema_says_something()
    {
        var json = await ServedAsync();
        var root = JsonNode.Parse(json)!;
        Assert.StartsWith("3.1.", root["openapi"]!.GetValue<string>());

        var problems = new List<string>();
        void Walk(JsonNode? node, string at)
        {
            switch (node)
            {
                case JsonObject o:
                    if (o["$ref"] is JsonValue r && Resolve(root, r.GetValue<string>()) is null) problems.Add($"{at}: $ref {r} does not resolve");
                    if (o["schema"] is JsonObject { Count: 0 }) problems.Add($"{at}: an empty schema accepts anything");
                    foreach (var (key, child) in o) Walk(child, $"{at}/{key}");
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++) Walk(a[i], $"{at}/{i}");
                    break;
            }
        }
        Walk(root, "#");
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The OpenAPI reference library reads it as 3.1 and its rules find nothing wrong.
        var (document, diagnostic) = OpenApiDocument.Parse(json, "json");
        Assert.NotNull(document);
        Assert.Empty(diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(FunctionsMetadataTests.Metadata().Count(f => f.Type == "httpTrigger"), document.Paths.Sum(p => p.Value.Operations!.Count));
    }

    private static JsonNode? Resolve(JsonNode root, string reference) =>
        reference.StartsWith("#/", StringComparison.Ordinal)
            ? reference[2..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).Aggregate((JsonNode?)root, (n, k) => n is JsonObject o ? o[k] : null)
            : null;

    [Fact]
    public async Task The_standalone_host_shows_a_reference_page_of_the_document()
    {
        var page = await _app.Http.GetAsync("/reference");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        // The page's script resolves the document's address against the site's root: /api/openapi/v1.json.
        Assert.Contains("\"url\":\"api/openapi/v1.json\"", html);
        // Its script comes from the host itself, not from a CDN, so it works offline.
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(script), html);
        Assert.DoesNotContain("://", script);
        Assert.Equal(HttpStatusCode.OK, (await _app.Http.GetAsync(new Uri(new Uri(_app.BaseAddress, "/reference/"), script))).StatusCode);
    }
}
