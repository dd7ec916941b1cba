using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using GivingDay.Storage;
using NCrontab;

namespace GivingDay.Functions.Hosting;

/// <summary>Standalone mode's timer trigger, as the host runs timers: a 6-field NCRONTAB schedule in UTC
/// (from the app setting the declaration names), one instance at a time across every process on the same
/// storage (a blob lease on locks/&lt;function&gt;), each occurrence run once (the last one done is kept in the
/// blob's metadata), and an occurrence missed while no instance ran is run once at start, as past due.</summary>
public sealed class TimerScheduler(TimerFunction function, StorageAccount account, StorageSetup setup, IConfiguration configuration,
    IServiceProvider services, TimeProvider clock, ILogger<TimerScheduler> log) : BackgroundService
{
    private static readonly TimeSpan LeaseFor = TimeSpan.FromSeconds(30);
    private const string LastRunKey = "lastoccurrence";

    public static string ScheduleOf(TimerFunction function, IConfiguration configuration) =>
        configuration[function.ScheduleSetting] is { Length: > 0 } s ? s : function.DefaultSchedule;

    public static CrontabSchedule Parse(string expression) =>
        CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = Parse(ScheduleOf(function, configuration));
        try { await setup.Ready.WaitAsync(stoppingToken); } catch (OperationCanceledException) { return; }
        var blob = account.Container(StorageNames.LocksContainer).GetBlobClient(function.Name);
        await EnsureBlobAsync(blob, stoppingToken);

        // A missed occurrence (the latest due one, if not done since an earlier run) runs once at start, as past due.
        var now = clock.GetUtcNow().UtcDateTime;
        if (Latest(schedule, now) is { } due) await TryRunAsync(blob, due, isPastDue: true, stoppingToken);

        while (!stoppingToken.IsCancellationRequested)
        {
            var next = schedule.GetNextOccurrence(clock.GetUtcNow().UtcDateTime);
            var wait = next - clock.GetUtcNow().UtcDateTime;
            try { if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stoppingToken); } catch (OperationCanceledException) { break; }
            await TryRunAsync(blob, next, isPastDue: false, stoppingToken);
        }
    }

    private static DateTime? Latest(CrontabSchedule schedule, DateTime now)
    {
        DateTime? latest = null;
        foreach (var o in schedule.GetNextOccurrences(now.AddDays(-1), now)) latest = o;
        return latest;
    }

    private async Task TryRunAsync(BlobClient blob, DateTime occurrence, bool isPastDue, CancellationToken ct)
    {
        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseFor, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 409) { return; } // another instance holds it
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
        {
            log.LogWarning("{Function}: lease not taken ({Message})", function.Name, e.Message);
            return;
        }
        try
        {
            var properties = (await blob.GetPropertiesAsync(new BlobRequestConditions { LeaseId = lease.LeaseId }, ct)).Value;
            var done = properties.Metadata.TryGetValue(LastRunKey, out var last) && long.TryParse(last, out var ticks) ? new DateTime(ticks, DateTimeKind.Utc) : DateTime.MinValue;
            if (occurrence <= done) return; // run already by another instance
            if (isPastDue && done == DateTime.MinValue) return; // never ran before: nothing was missed
            using var renew = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var renewing = RenewAsync(lease, renew.Token);
            try
            {
                await using var scope = services.CreateAsyncScope();
                await function.Run(scope.ServiceProvider, new TimerInput(new DateTimeOffset(occurrence, TimeSpan.Zero), isPastDue), ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogError(e, "{Function} failed for {Occurrence}", function.Name, occurrence);
            }
            finally { await renew.CancelAsync(); await renewing; }
            properties.Metadata[LastRunKey] = occurrence.Ticks.ToString();
            await blob.SetMetadataAsync(properties.Metadata, new BlobRequestConditions { LeaseId = lease.LeaseId }, ct);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
        {
            log.LogWarning("{Function}: {Message}", function.Name, e.Message);
        }
        finally
        {
            try { await lease.ReleaseAsync(cancellationToken: CancellationToken.None); } catch (Exception) { /* expires on its own */ }
        }
    }

    private static async Task RenewAsync(BlobLeaseClient lease, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(LeaseFor / 3, ct);
                await lease.RenewAsync(cancellationToken: ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (RequestFailedException) { }
    }

    private static async Task EnsureBlobAsync(BlobClient blob, CancellationToken ct)
    {
        try { await blob.UploadAsync(BinaryData.FromString(""), overwrite: false, ct); }
        catch (RequestFailedException e) when (e.Status is 409 or 412) { /* exists, maybe leased */ }
    }
}
