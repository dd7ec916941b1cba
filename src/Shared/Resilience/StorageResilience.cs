using System.Net.Sockets;
using System.Diagnostics.Metrics;
using Azure;
using GivingDay.Storage;
using GivingDay.Telemetry;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace GivingDay.Resilience;

/// <summary>The named Polly pipelines every storage call goes through, defined in one place.
/// Tests add chaos (faults, latency) to a named pipeline by registering a <see cref="PipelineDecorator"/>;
/// production code never branches on it.</summary>
public static class StoragePipelines
{
    /// <summary>Reads, idempotent writes and set-up.</summary>
    public const string Storage = "storage";
    /// <summary>The intake transaction (pledge row + outbox marker).</summary>
    public const string IntakeStore = "intake-store";
    /// <summary>The queue send after an intake commit.</summary>
    public const string IntakeEnqueue = "intake-enqueue";
    /// <summary>The counting transaction (markers, pledges, donors, totals).</summary>
    public const string CountCommit = "count-commit";
    /// <summary>Blob writes and leases (snapshots, timers).</summary>
    public const string Blobs = "blobs";

    public static readonly string[] All = [Storage, IntakeStore, IntakeEnqueue, CountCommit, Blobs];

    public static ResiliencePipelineProvider<string> Create(IEnumerable<PipelineDecorator> decorators)
    {
        var decorate = decorators.ToList();
        var registry = new ResiliencePipelineRegistry<string>();
        foreach (var name in All)
        {
            registry.TryAddBuilder(name, (builder, _) =>
            {
                builder.AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                    MaxRetryAttempts = name == IntakeStore ? 3 : 6,
                    Delay = TimeSpan.FromMilliseconds(50),
                    MaxDelay = TimeSpan.FromSeconds(2),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                });
                // Chaos goes inside the retry, so a test's injected faults are what the retry must absorb.
                foreach (var d in decorate.Where(d => d.Pipeline == name)) d.Decorate(builder);
            });
        }
        return registry;
    }

    /// <summary>Faults worth another try: throttling, server errors, timeouts and lost connections.
    /// 4xx answers such as 409 or 412 are decisions, not faults, and are never retried here.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        HttpRequestException or IOException or SocketException => true,
        TimeoutException => true,
        _ => false,
    };
}

/// <summary>Adds strategies to one named pipeline (tests use it for Polly's chaos strategies).</summary>
public sealed record PipelineDecorator(string Pipeline, Action<ResiliencePipelineBuilder> Decorate);

/// <summary>Storage calls made by this process: every HTTP request to the storage account's endpoints, whoever makes
/// it (the app's own calls through the pipelines, and the WebJobs SDK's queue polling, deletes and lease renewals),
/// read from .NET's own HTTP client metrics from the counter's first use. For /api/organiser/metrics and the benchmark's calls per pledge.</summary>
public sealed class StorageCallCounter : IDisposable
{
    private long _calls;
    private readonly Dictionary<(string Host, int Port), string> _services;
    private readonly MeterListener _listener = new();

    public StorageCallCounter(StorageAccount account)
    {
        _services = new Dictionary<(string, int), string>
        {
            [(account.Tables.Uri.Host, account.Tables.Uri.Port)] = "table",
            [(account.Queues.Uri.Host, account.Queues.Uri.Port)] = "queue",
            [(account.Blobs.Uri.Host, account.Blobs.Uri.Port)] = "blob",
        };
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) => Count(tags));
        _listener.Start();
    }

    public long Calls => Interlocked.Read(ref _calls);

    private void Count(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? host = null, method = null; int? port = null, status = null;
        foreach (var tag in tags)
        {
            switch (tag.Key)
            {
                case "server.address": host = tag.Value as string; break;
                case "server.port": port = tag.Value as int?; break;
                case "http.request.method": method = tag.Value as string; break;
                case "http.response.status_code": status = tag.Value as int?; break;
            }
        }
        if (host is null || port is null || !_services.TryGetValue((host, port.Value), out var service)) return;
        Interlocked.Increment(ref _calls);
        var outcome = status switch { null or >= 500 => "server_error", >= 400 => "client_error", _ => "ok" };
        GivingDayTelemetry.StorageCalls.Add(1, new KeyValuePair<string, object?>("service", service),
            new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Dispose() => _listener.Dispose();
}
