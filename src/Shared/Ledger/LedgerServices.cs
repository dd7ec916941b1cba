using Microsoft.Extensions.Configuration;
using GivingDay.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GivingDay.Ledger;

/// <summary>One line for the host: <c>services.AddLedger()</c> (needs StorageAccount, the pipelines and a TimeProvider registered).</summary>
public static class LedgerServices
{
    public static IServiceCollection AddLedger(this IServiceCollection services)
    {
        services.AddSingleton(sp => LedgerOptions.From(sp.GetRequiredService<IOptions<LedgerSettings>>().Value, StorageAccount.IsAzurite(sp.GetRequiredService<IConfiguration>())));
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<CheckpointSigner>();
        services.AddSingleton<LedgerSource>();
        services.AddSingleton<LedgerSequencer>();
        services.AddSingleton<LedgerReader>();
        services.AddSingleton<LedgerTick>();
        return services;
    }
}
