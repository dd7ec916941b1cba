using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GivingDay.Storage;

/// <summary>Readiness: each storage service the app needs answers one cheap authenticated call (a one-item listing),
/// within a short time. Each is its own check, so a failure names the service.</summary>
public static class StorageHealth
{
    public const string ReadyTag = "ready";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    public static IHealthChecksBuilder AddStorageChecks(this IHealthChecksBuilder checks) => checks
        .Add(Check("tables", async (account, ct) => { await foreach (var _ in account.Tables.QueryAsync(maxPerPage: 1, cancellationToken: ct).AsPages(pageSizeHint: 1)) break; }))
        .Add(Check("queues", async (account, ct) => { await foreach (var _ in account.Queues.GetQueuesAsync(cancellationToken: ct).AsPages(pageSizeHint: 1)) break; }))
        .Add(Check("blobs", async (account, ct) => { await foreach (var _ in account.Blobs.GetBlobContainersAsync(cancellationToken: ct).AsPages(pageSizeHint: 1)) break; }));

    private static HealthCheckRegistration Check(string name, Func<StorageAccount, CancellationToken, Task> probe) =>
        new(name, sp => new StorageCheck(sp.GetRequiredService<StorageAccount>(), probe), HealthStatus.Unhealthy, [ReadyTag], Within);

    private sealed class StorageCheck(StorageAccount account, Func<StorageAccount, CancellationToken, Task> probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                await probe(account, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The failure's kind, not its text: readiness is public, and storage errors carry account details.
                return HealthCheckResult.Unhealthy($"{context.Registration.Name} not reachable ({e.GetType().Name})");
            }
        }
    }
}
