using Azure.Core.Serialization;
using GivingDay.Campaigns;
using GivingDay.Functions.Http;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Snapshots;
using GivingDay.Storage;
using GivingDay.Totals;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GivingDay.Functions;

/// <summary>The app's services, the same in both hosts: the Functions worker's Program.cs and the standalone host call this.</summary>
public static class Composition
{
    public static IServiceCollection AddGivingDay(this IServiceCollection services, IConfiguration configuration, FunctionsHost host)
    {
        services.AddSingleton(host);
        services.AddGivingDaySettings();
        services.AddGivingDayTelemetry(configuration, host);
        // TryAdd: a test may register its own clock (FakeTimeProvider) before this.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<StorageSetup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageSetup>());
        services.AddSingleton<StorageCallCounter>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageCallCounter>());
        services.AddStoragePipelines();
        services.AddSingleton(sp => new DonorIdentity(sp.GetRequiredService<IOptions<HashingOptions>>().Value.DonorKey, sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<ILogger<DonorIdentity>>()));
        services.AddSingleton<CampaignStore>();
        services.AddSingleton<CampaignEditor>();
        services.AddSingleton<CampaignClosing>();
        services.AddSingleton<PledgeIntake>();
        services.AddSingleton<PledgeRedrive>();
        services.AddSingleton<TotalsProjector>();
        services.AddSingleton<LiveTotals>();
        services.AddSingleton<FundAllotments>();
        services.AddSingleton<SnapshotStore>();
        services.AddSingleton<ProgressSnapshots>();
        services.AddSingleton<FinalSnapshot>();
        services.AddSingleton<OfflineImport>();
        services.AddSingleton<DonorList>();
        services.AddLedger();
        services.AddSingleton<OrganiserKey>();
        services.AddForwardedHeaders(host);
        services.AddSingleton<PledgeRateLimit>();
        services.AddHealthChecks().AddStorageChecks();
        services.ConfigureHttpJsonOptions(o =>
        {
            GivingDayJson.Configure(o.SerializerOptions);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        return services;
    }

    /// <summary>The worker reads queue messages (the typed parameters of queue functions) with the app's JSON options,
    /// the same the intake writes them with and the standalone host reads them with.</summary>
    public static void ConfigureWorker(WorkerOptions options) => options.Serializer = new JsonObjectSerializer(GivingDayJson.Options);
}
