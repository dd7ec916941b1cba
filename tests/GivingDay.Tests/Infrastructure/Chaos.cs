using System.Runtime.CompilerServices;
using Azure;
using GivingDay.Resilience;
using Polly;
using Polly.Simmy;

namespace GivingDay.Tests.Infrastructure;

/// <summary>Polly chaos strategies added to the app's named pipelines (inside their retries).</summary>
public static class Chaos
{
    public static PipelineDecorator Faults(string pipeline, double rate, int status = 503) =>
        new(pipeline, b => b.AddChaosFault(rate, () => new RequestFailedException(status, "injected fault")));

    /// <summary>Faults after the call went through: the write happened but its answer is lost, so the
    /// caller's retry meets its own earlier write.</summary>
    public static PipelineDecorator LostAnswers(string pipeline, double rate) =>
        new(pipeline, b => b.AddStrategy(_ => new LoseAnswers(rate), new LoseAnswersOptions()));

    private sealed class LoseAnswersOptions : ResilienceStrategyOptions;

    private sealed class LoseAnswers(double rate) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state);
            return outcome.Exception is null && Random.Shared.NextDouble() < rate
                ? Outcome.FromException<TResult>(new RequestFailedException(503, "injected: answer lost"))
                : outcome;
        }
    }

    /// <summary>Counts the calls made through a pipeline (how many storage calls a path costs).</summary>
    /// <summary>Every call through the pipeline takes this much longer, as calls to a distant storage do.</summary>
    public static PipelineDecorator Latency(string pipeline, TimeSpan latency) =>
        new(pipeline, b => b.AddChaosLatency(1.0, latency));

    public static PipelineDecorator Counting(string pipeline, StrongBox<int> calls) =>
        new(pipeline, b => b.AddStrategy(_ => new CountCalls(calls), new LoseAnswersOptions()));

    private sealed class CountCalls(StrongBox<int> calls) : ResilienceStrategy
    {
        protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            Interlocked.Increment(ref calls.Value);
            return callback(context, state);
        }
    }
}
