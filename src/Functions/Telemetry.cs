using System.Diagnostics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using GivingDay.Functions.Http;
using GivingDay.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GivingDay.Functions;

/// <summary>OpenTelemetry for both hosts: the app's spans and metrics (GivingDayTelemetry), incoming HTTP and outgoing
/// storage calls, and logs. Exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the OTEL_* settings apply), to
/// Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is (with the app's managed identity).</summary>
public static class Telemetry
{
    public static IServiceCollection AddGivingDayTelemetry(this IServiceCollection services, IConfiguration configuration, FunctionsHost host)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var azureMonitor = !string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        // Nowhere to send it (a local run, a test, the benchmark): no SDK listening on every call. The meters still
        // answer any listener (dotnet-counters, the benchmark's storage-call counter).
        if (!otlp && !azureMonitor && host != FunctionsHost.Azure) return services;
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("givingday", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t
                .AddSource(GivingDayTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                // Storage calls inside a request or a counting step; not the queue listeners' idle polling.
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = _ => Activity.Current is not null))
            .WithMetrics(m => m
                .AddMeter(GivingDayTelemetry.Name)
                // Polly's own: retries, chaos and every pipeline execution, by pipeline name.
                .AddMeter("Polly")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithLogging();
        if (otlp) otel.UseOtlpExporter();
        if (azureMonitor)
            otel.UseAzureMonitorExporter(o =>
            {
                // Local auth is off on the Application Insights resource: the app's identity sends the telemetry.
                if (configuration["AzureWebJobsStorage:clientId"] is { Length: > 0 } clientId)
                    o.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            });
        if (host == FunctionsHost.Azure) otel.UseFunctionsWorkerDefaults();
        return services;
    }
}
