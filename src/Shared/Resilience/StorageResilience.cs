using System.Net.Sockets;
using Azure;
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

    public static ResiliencePipelineProvider<string> Create(IEnumerable<PipelineDecorator> decorators, StorageCallCounter counter)
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
                builder.AddStrategy(_ => new CountingStrategy(counter), new CountingOptions());
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

/// <summary>Storage calls made by this instance (every attempt through a pipeline, plus the queue listener's
/// own calls), for /api/organiser/metrics and the benchmark's "storage transactions per pledge".</summary>
public sealed class StorageCallCounter
{
    private long _calls;
    public long Calls => Interlocked.Read(ref _calls);
    public void Add(int n = 1) => Interlocked.Add(ref _calls, n);
}

internal sealed class CountingOptions : ResilienceStrategyOptions;

internal sealed class CountingStrategy(StorageCallCounter counter) : ResilienceStrategy
{
    protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        counter.Add();
        return callback(context, state);
    }
}
