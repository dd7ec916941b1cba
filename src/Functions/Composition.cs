using GivingDay.Campaigns;
using GivingDay.Functions.Api;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Snapshots;
using GivingDay.Storage;
using GivingDay.Totals;

namespace GivingDay.Functions;

/// <summary>The app's services and routes, apart from hosting.</summary>
public static class Composition
{
    public static WebApplicationBuilder AddGivingDay(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<StorageSetup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageSetup>());
        services.AddSingleton<StorageCallCounter>();
        services.AddSingleton(sp => StoragePipelines.Create(sp.GetServices<PipelineDecorator>(), sp.GetRequiredService<StorageCallCounter>()));
        services.AddSingleton<DonorIdentity>();
        services.AddSingleton<CampaignStore>();
        services.AddSingleton<CampaignEditor>();
        services.AddSingleton<PledgeIntake>();
        services.AddSingleton<PledgeRedrive>();
        services.AddSingleton<TotalsProjector>();
        services.AddSingleton<LiveTotals>();
        services.AddSingleton<SnapshotStore>();
        services.AddSingleton<FinalSnapshot>();
        services.AddSingleton<OfflineImport>();
        services.AddSingleton<OrganiserKey>();
        services.AddPledgeRateLimit();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => GivingDayJson.Configure(o.SerializerOptions));
        return builder;
    }

    public static WebApplication MapGivingDay(this WebApplication app)
    {
        app.UseRateLimiter();
        app.MapPublicApi();
        app.MapOrganiserApi();
        return app;
    }
}
