using System.Net.Sockets;
using System.Diagnostics.Metrics;
using Azure;
using GivingDay.Storage;
using GivingDay.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;

namespace GivingDay.Resilience;

/// <summary>The named Polly pipelines every storage call goes through, defined in one place and registered with
/// Polly's DI (so <c>ResiliencePipelineProvider&lt;string&gt;</c> comes from the container and Polly's own metrics,
/// meter "Polly", and logs are on). Tests add chaos (faults, latency) to a named pipeline by registering a
/// <see cref="PipelineDecorator"/>; production code never branches on it.</summary>
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
    /// <summary>A read-decide-write under ETags that another writer got to first (<see cref="IsLostRace"/>): the whole
    /// step is read again and recomputed. Wraps the storage pipelines, whose own retries absorb the faults.</summary>
    public const string LostRace = "lost-race";
    /// <summary>Creating the tables, queues and containers at start, until storage answers.</summary>
    public const string Setup = "setup";

    public static readonly string[] All = [Storage, IntakeStore, IntakeEnqueue, CountCommit, Blobs];

    public static IServiceCollection AddStoragePipelines(this IServiceCollection services)
    {
        foreach (var name in All)
        {
            services.AddResiliencePipeline(name, (builder, context) =>
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
                foreach (var d in context.ServiceProvider.GetServices<PipelineDecorator>().Where(d => d.Pipeline == name)) d.Decorate(builder);
            });
        }
        services.AddResiliencePipeline(LostRace, builder => builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsLostRace),
            MaxRetryAttempts = 50,
            Delay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        }));
        services.AddResiliencePipeline(Setup, builder => builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RequestFailedException>().Handle<HttpRequestException>().Handle<IOException>(),
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            BackoffType = DelayBackoffType.Exponential,
        }));
        // Lost races are routine (two instances counting one campaign): Polly reports them at Debug, not as warnings.
        services.Configure<TelemetryOptions>(o => o.SeverityProvider = e =>
            e.Source.PipelineName == LostRace && e.Event.Severity > ResilienceEventSeverity.Debug ? ResilienceEventSeverity.Debug : e.Event.Severity);
        return services;
    }

    /// <summary>The pipelines outside a host (the ledger benchmark, tests of one component): a container holding only them.</summary>
    public static ResiliencePipelineProvider<string> Provider(IEnumerable<PipelineDecorator> decorators)
    {
        var services = new ServiceCollection().AddLogging();
        foreach (var d in decorators) services.AddSingleton(d);
        return services.AddStoragePipelines().BuildServiceProvider().GetRequiredService<ResiliencePipelineProvider<string>>();
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

    /// <summary>Someone else wrote first: an ETag that no longer matches (412), a row already added (409) or gone
    /// (404), or a transaction whose reply cannot say which row failed. A fault the storage pipeline gave up on is not
    /// a race: it surfaces (a queue message or timer tick is tried again later).</summary>
    public static bool IsLostRace(Exception e) =>
        e is LostRaceException || e is RequestFailedException { Status: 404 or 409 or 412 } || TransactionReplies.IsUnreadableFailure(e);
}

/// <summary>A read-decide-write step that lost to another writer, thrown by code that knows more than the storage
/// reply says (which row failed); the <see cref="StoragePipelines.LostRace"/> pipeline retries it.</summary>
public class LostRaceException(string message, Exception inner) : Exception(message, inner);

/// <summary>Adds strategies to one named pipeline (tests use it for Polly's chaos strategies).</summary>
public sealed record PipelineDecorator(string Pipeline, Action<ResiliencePipelineBuilder> Decorate);

/// <summary>Storage calls made by this process: every HTTP request to the storage account's endpoints, whoever makes
/// it (the app's own calls through the pipelines, and the WebJobs SDK's queue polling, deletes and lease renewals),
/// read from .NET's own HTTP client metrics from the host's start, into the givingday.storage.calls metric (the
/// benchmark reads its calls per pledge from it over OTLP).</summary>
public sealed class StorageCallCounter : IDisposable, Microsoft.Extensions.Hosting.IHostedService
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
        // Throttling apart from the other 4xx (404, 409 and 412 are routine answers here): it is what an operator watches.
        var outcome = status switch { null or >= 500 => "server_error", 429 => "throttled", >= 400 => "client_error", _ => "ok" };
        GivingDayTelemetry.StorageCalls.Add(1, new KeyValuePair<string, object?>("service", service),
            new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Dispose() => _listener.Dispose();

    // Listening starts when the host creates it at start; nothing more to do.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
