using GivingDay.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GivingDay.Functions.Http;

/// <summary>Liveness (the process answers; no storage call) and readiness (tables, queues and blobs answer), through
/// ASP.NET Core's health checks.</summary>
public sealed class HealthFunctions(HealthCheckService health)
{
    [Function(nameof(Health))]
    [EndpointSummary("Liveness: the process answers (no storage call)")]
    [Answer<HealthView>(200, "Alive.")]
    public IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        TypedResults.Ok(new HealthView("ok"));

    /// <summary>200 when every storage service answers; 503 naming the ones that do not.</summary>
    [Function(nameof(HealthReady))]
    [EndpointSummary("Readiness: tables, queues and blobs answer")]
    [Answer<ReadinessView>(200, "Ready.", Headers = ["Cache-Control"])]
    [Answer<ReadinessView>(503, "A storage service does not answer: its check says failing.", Headers = ["Cache-Control"])]
    public async Task<IResult> HealthReady([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest request, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(StorageHealth.ReadyTag), ct);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        var body = new ReadinessView(report.Status == HealthStatus.Healthy ? "ready" : "unavailable",
            report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => new ReadinessCheckView(e.Key, e.Value.Status == HealthStatus.Healthy ? "ok" : "failing", e.Value.Description)).ToList());
        return report.Status == HealthStatus.Healthy ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
