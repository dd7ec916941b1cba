using System.Net.Sockets;
using System.Diagnostics.Metrics;
using Azure;
using GivingDay.Storage;
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
    private readonly HashSet<(string Host, int Port)> _endpoints;
    private readonly MeterListener _listener = new();

    public StorageCallCounter(StorageAccount account)
    {
        _endpoints = new[] { account.Tables.Uri, account.Queues.Uri, account.Blobs.Uri }.Select(u => (u.Host, u.Port)).ToHashSet();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) => { if (IsStorage(tags)) Interlocked.Increment(ref _calls); });
        _listener.Start();
    }

    public long Calls => Interlocked.Read(ref _calls);

    private bool IsStorage(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? host = null; int? port = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "server.address") host = tag.Value as string;
            else if (tag.Key == "server.port") port = tag.Value is int p ? p : null;
        }
        return host is not null && port is not null && _endpoints.Contains((host, port.Value));
    }

    public void Dispose() => _listener.Dispose();
}
