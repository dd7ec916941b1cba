using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Functions.OpenApi;
using Json.Schema;

namespace GivingDay.Tests.Infrastructure;

/// <summary>The function app's OpenAPI document as a contract that exchanges are checked against: the operation for a
/// method and path, the statuses and media types it declares, and its JSON Schemas (2020-12, as OpenAPI 3.1 has them,
/// their <c>$ref</c>s resolved into the document's components by JsonSchema.Net).</summary>
public sealed class OpenApiContract
{
    private static readonly Uri ComponentsUri = new("https://givingday.test/components/schemas/");
    private static readonly string[] JsonTypes = ["application/json", "application/problem+json"];

    /// <summary>The document both hosts serve under /api (the host tests prove they serve this one).</summary>
    public static OpenApiContract Api { get; } = new(ApiDocument.Json("/api"));
    private readonly JsonElement _document;
    private readonly BuildOptions _build = new() { SchemaRegistry = new SchemaRegistry() };
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);
    private readonly string _basePath;
    private int _built;

    public OpenApiContract(string json)
    {
        using var parsed = JsonDocument.Parse(json);
        _document = parsed.RootElement.Clone();
        // Each component is a schema of its own, with an address its $refs are rewritten to.
        foreach (var component in _document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            var node = JsonNode.Parse(component.Value.GetRawText())!;
            Absolute(node);
            _build.SchemaRegistry.Register(JsonSchema.Build(JsonSerializer.SerializeToElement(node), _build, new Uri(ComponentsUri, component.Name)));
        }
        _basePath = _document.GetProperty("servers")[0].GetProperty("url").GetString()!.TrimEnd('/');
    }

    public sealed record Exchange(string Method, string Path, IReadOnlyCollection<string> Query, string? RequestType, string? RequestBody,
        int Status, string? ResponseType, string ResponseBody);

    /// <summary>What breaks the contract in this exchange (nothing for a path that is not an operation's).</summary>
    public IReadOnlyList<string> Check(Exchange e)
    {
        var broken = new List<string>();
        if (Operation(e.Method, e.Path) is not var (template, operation)) return broken;
        var name = operation.GetProperty("operationId").GetString();
        var at = $"{name} ({e.Method} {e.Path} → {e.Status})";
        var status = e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!operation.GetProperty("responses").TryGetProperty(status, out var response))
        {
            broken.Add($"{at}: the document declares no {status} for {name}; it declares {string.Join(", ", operation.GetProperty("responses").EnumerateObject().Select(r => r.Name))}");
            return broken;
        }
        var responsePointer = $"/paths/{Escape(template)}/{e.Method.ToLowerInvariant()}/responses/{status}";
        Body(broken, $"{at} answer", response, responsePointer, e.ResponseType, e.ResponseBody);

        // What the app accepted, the document must accept: the query parameters it read and the body.
        if (e.Status is >= 200 and < 300)
        {
            var declared = operation.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").ToList() : [];
            foreach (var q in e.Query.Where(q => !declared.Any(p => p.GetProperty("name").GetString() == q)))
                broken.Add($"{at}: query parameter '{q}' is not in the document");
            foreach (var p in declared.Where(p => p.GetProperty("required").GetBoolean() && !e.Query.Contains(p.GetProperty("name").GetString()!)))
                broken.Add($"{at}: succeeded without the required query parameter '{p.GetProperty("name").GetString()}'");
            if (operation.TryGetProperty("requestBody", out var requestBody))
                Body(broken, $"{at} request", requestBody, $"/paths/{Escape(template)}/{e.Method.ToLowerInvariant()}/requestBody", e.RequestType, e.RequestBody ?? "");
            else if (!string.IsNullOrEmpty(e.RequestBody))
                broken.Add($"{at}: sent a body the document does not declare");
        }
        return broken;
    }

    private void Body(List<string> broken, string at, JsonElement declared, string pointer, string? mediaType, string body)
    {
        if (!declared.TryGetProperty("content", out var content))
        {
            if (body.Length > 0) broken.Add($"{at}: has a body; the document declares none");
            return;
        }
        if (mediaType is null || !content.TryGetProperty(mediaType, out _))
        {
            broken.Add($"{at}: is {mediaType ?? "without a Content-Type"}; the document declares {string.Join(", ", content.EnumerateObject().Select(c => c.Name))}");
            return;
        }
        if (!JsonTypes.Contains(mediaType)) return;
        JsonElement instance;
        try { using var parsed = JsonDocument.Parse(body); instance = parsed.RootElement.Clone(); }
        catch (JsonException) { broken.Add($"{at}: is not JSON: {body}"); return; }
        foreach (var error in Validate($"{pointer}/content/{Escape(mediaType)}/schema", instance))
            broken.Add($"{at}: {error} in {body}");
    }

    /// <summary>The schema at a pointer into the document against an instance: each failure, with where it is.</summary>
    public IReadOnlyList<string> Validate(string pointer, JsonElement instance)
    {
        var schema = _schemas.GetOrAdd(pointer, p =>
        {
            var node = JsonNode.Parse(Resolve(p).GetRawText())!;
            // Its $refs point into the document's components, registered above by their own addresses.
            Absolute(node);
            return JsonSchema.Build(JsonSerializer.SerializeToElement(node), _build, new Uri($"https://givingday.test/checked/{Interlocked.Increment(ref _built)}"));
        });
        // A yes-or-no first (cheap: every exchange of every API test comes here); the details only when it is no.
        if (schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid) return [];
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return (result.Details ?? [result])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(x => $"{(d.InstanceLocation.ToString() is { Length: > 0 } l ? l : "/")}: {x.Value}"))
            .DefaultIfEmpty("invalid").ToList();
    }

    private JsonElement Resolve(string pointer) => pointer.Split('/').Skip(1)
        .Select(s => s.Replace("~1", "/").Replace("~0", "~"))
        .Aggregate(_document, (node, key) => node.GetProperty(key));

    private static void Absolute(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.GetValue<string>() is { } target && target.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                    o["$ref"] = new Uri(ComponentsUri, target["#/components/schemas/".Length..]).ToString();
                foreach (var (_, child) in o.ToList()) Absolute(child);
                break;
            case JsonArray a:
                foreach (var child in a) Absolute(child);
                break;
        }
    }

    private static string Escape(string key) => key.Replace("~", "~0").Replace("/", "~1");

    /// <summary>The operation whose path template matches (literal segments before parameters); null off the API.</summary>
    private (string Template, JsonElement Operation)? Operation(string method, string path)
    {
        if (!path.StartsWith(_basePath + "/", StringComparison.Ordinal)) return null;
        var segments = path[_basePath.Length..].Split('/');
        var match = _document.GetProperty("paths").EnumerateObject()
            .Select(p => (p.Name, Item: p.Value, Segments: p.Name.Split('/')))
            .Where(p => p.Segments.Length == segments.Length && p.Segments.Zip(segments).All(s => s.First.StartsWith('{') || s.First == Uri.UnescapeDataString(s.Second)))
            .OrderByDescending(p => p.Segments.Count(s => !s.StartsWith('{')))
            .FirstOrDefault();
        if (match.Name is null || !match.Item.TryGetProperty(method.ToLowerInvariant(), out var operation)) return null;
        return (match.Name, operation);
    }
}

/// <summary>Checks every exchange of a test's HttpClient against <see cref="OpenApiContract.Api"/>, so each API test
/// proves the document too; a broken contract fails the call that broke it, naming the function.</summary>
public sealed class ContractCheck(OpenApiContract contract) : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        string? requestBody = null;
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(ct);
            requestBody = await request.Content.ReadAsStringAsync(ct);
        }
        var response = await base.SendAsync(request, ct);
        await response.Content.LoadIntoBufferAsync(ct);
        var uri = request.RequestUri!;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).Keys.ToList();
        var broken = contract.Check(new OpenApiContract.Exchange(request.Method.Method, uri.AbsolutePath, query,
            request.Content?.Headers.ContentType?.MediaType, requestBody,
            (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct)));
        if (broken.Count > 0) throw new OpenApiContractException(string.Join(Environment.NewLine, broken));
        return response;
    }
}

public sealed class OpenApiContractException(string message) : Exception("The exchange breaks the OpenAPI document: " + message);
