using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GivingDay.Host.Tests;

/// <summary>What the WebJobs SDK logs about function executions ("Executing '…'", "Executed '…' (Failed …)"), per host.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(DateTimeOffset At, string Category, LogLevel Level, string Message);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToList();

    /// <summary>Executions of a function, as the SDK logs them when it starts one.</summary>
    public IReadOnlyList<Entry> Executing(string function) =>
        Entries.Where(e => e.Category == $"Function.{function}" && e.Message.StartsWith("Executing ", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<Entry> Failed(string function) =>
        Entries.Where(e => e.Category == $"Function.{function}" && e.Message.StartsWith("Executed ", StringComparison.Ordinal) && e.Message.Contains("(Failed")).ToList();

    /// <summary>Adds this provider to a host and lets the SDK's function logs through.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(null, "Function", LogLevel.Information, null)));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._entries.Enqueue(new Entry(DateTimeOffset.UtcNow, category, logLevel, formatter(state, exception)));
    }
}
