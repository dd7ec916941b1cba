using GivingDay.Snapshots;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Functions;

/// <summary>Timer (SnapshotSchedule, default every minute): progress snapshots of live campaigns, and closing
/// campaigns past their end.</summary>
public sealed class SnapshotProgress(ProgressSnapshots progress)
{
    [Function(nameof(SnapshotProgress))]
    public Task Run([TimerTrigger("%" + Triggers.SnapshotSchedule + "%")] TimerInfo timer, CancellationToken ct) =>
        progress.TickAsync(ct);
}
