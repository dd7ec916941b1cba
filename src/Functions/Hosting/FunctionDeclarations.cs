namespace GivingDay.Functions.Hosting;

/// <summary>What a queue-triggered function receives, in either mode.</summary>
public sealed record QueueMessageInput(string Text, long DequeueCount, string MessageId, DateTimeOffset? InsertionTime);

/// <summary>What a timer-triggered function receives, in either mode.</summary>
public sealed record TimerInput(DateTimeOffset ScheduledAt, bool IsPastDue);

/// <summary>One declaration of a non-HTTP function. HTTP functions are the named endpoints under /api.
/// Both the hosted artefacts (function.json) and the standalone listeners are derived from these.</summary>
public abstract record FunctionDeclaration(string Name);

/// <summary>A queue-triggered function. <paramref name="Queue"/> is the logical queue name; the
/// storage name prefix (tests) is applied by the hosting layer. The handler throws to fail the
/// invocation: the message then reappears and is poisoned after maxDequeueCount.</summary>
public sealed record QueueFunction(
    string Name,
    string Queue,
    Func<IServiceProvider, QueueMessageInput, CancellationToken, Task> Run) : FunctionDeclaration(Name);

/// <summary>A timer-triggered function: NCRONTAB (6 fields, UTC) from the app setting
/// <paramref name="ScheduleSetting"/>, else <paramref name="DefaultSchedule"/>.</summary>
public sealed record TimerFunction(
    string Name,
    string ScheduleSetting,
    string DefaultSchedule,
    Func<IServiceProvider, TimerInput, CancellationToken, Task> Run) : FunctionDeclaration(Name);
