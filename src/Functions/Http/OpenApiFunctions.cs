using System.Security.Cryptography;
using System.Text;
using GivingDay.Functions.OpenApi;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Http;

/// <summary>The OpenAPI 3.1 document of every HTTP function, generated from the code (<see cref="ApiDocument"/>). An
/// HTTP function itself, so the Functions host serves it as it serves the others, and the standalone host with them.</summary>
public sealed class OpenApiFunctions
{
    public const string Route = "openapi/v1.json";

    [Function(nameof(OpenApiDocument))]
    [EndpointSummary("This document: OpenAPI 3.1 of every route, generated from the function app's code")]
    [Header("If-None-Match", "the ETag of a copy already held: 304 when it is current")]
    [Answer<object>(200, "The OpenAPI document.", Headers = ["ETag"])]
    [Answer(304, "The copy named by If-None-Match is current.", Headers = ["ETag"])]
    public IResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request)
    {
        // The route prefix (host.json's "api") is what precedes this route in the request's path, in either host.
        var path = request.PathBase.Add(request.Path).Value ?? "";
        var basePath = path.EndsWith("/" + Route, StringComparison.OrdinalIgnoreCase) ? path[..^(Route.Length + 1)] : "";
        var json = ApiDocument.Json(basePath);
        var tag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..20]}\"";
        if (EntityTags.NotModified(request, tag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Text(json, "application/json", Encoding.UTF8);
    }
}
