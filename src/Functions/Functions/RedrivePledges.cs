using GivingDay.Pledges;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Functions;

/// <summary>Timer (RedriveSchedule, default every 15 s): queues again pledges that were stored but never counted
/// (their enqueue failed, or the process died between storing and queueing).</summary>
public sealed class RedrivePledges(PledgeRedrive redrive)
{
    [Function(nameof(RedrivePledges))]
    public Task Run([TimerTrigger("%" + Triggers.RedriveSchedule + "%")] TimerInfo timer, CancellationToken ct) =>
        redrive.RequeueStaleAsync(ct);
}
