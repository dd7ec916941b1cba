using GivingDay.Functions.Hosting;
using GivingDay.Pledges;

namespace GivingDay.Functions.Functions;

/// <summary>Timer: queues again pledges that were stored but never counted (their enqueue failed, or the
/// process died between storing and queueing).</summary>
public static class RedrivePledges
{
    public static readonly TimerFunction Declaration = new("RedrivePledges", "RedriveSchedule", "*/15 * * * * *", RunAsync);

    public static Task RunAsync(IServiceProvider services, TimerInput timer, CancellationToken ct) =>
        services.GetRequiredService<PledgeRedrive>().RequeueStaleAsync(ct);
}
