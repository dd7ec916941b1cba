using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GivingDay.Functions;

/// <summary>The organiser routes' key (app setting Organiser__ApiKey).</summary>
public sealed class OrganiserOptions
{
    public const string Section = "Organiser";
    public string? ApiKey { get; set; }
}

/// <summary>The key of the donor contact hashes (app setting Hashing__DonorKey).</summary>
public sealed class HashingOptions
{
    public const string Section = "Hashing";
    public string? DonorKey { get; set; }
}

/// <summary>Pledges per client address per second (app setting RateLimit__PerClientPerSecond; 0 turns the limit off).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";
    public int PerClientPerSecond { get; set; } = 20;
}

/// <summary>The proxies in front of the app whose X-Forwarded-For is believed (app settings ForwardedHeaders__KnownProxies,
/// addresses, and ForwardedHeaders__KnownNetworks, CIDR networks; comma-separated). Neither set: loopback only.</summary>
public sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";
    public string? KnownProxies { get; set; }
    public string? KnownNetworks { get; set; }

    public static string[] List(string? setting) =>
        (setting ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Settings read once, as typed options, and checked when the host starts: outside Development a missing secret
/// stops the start with a message naming the app setting, instead of every organiser call answering 401 or donors
/// being hashed with a key anyone can read in this repository.</summary>
public static class Settings
{
    public static IServiceCollection AddGivingDaySettings(this IServiceCollection services)
    {
        services.AddOptions<OrganiserOptions>().BindConfiguration(OrganiserOptions.Section)
            .Validate<IHostEnvironment>((o, env) => !string.IsNullOrWhiteSpace(o.ApiKey) || env.IsDevelopment(),
                "The app setting Organiser__ApiKey (Organiser:ApiKey) is required outside Development: the organiser routes need a key.")
            .Validate(o => !IsUnresolvedVaultReference(o.ApiKey), UnresolvedMessage("Organiser__ApiKey"))
            .ValidateOnStart();
        services.AddOptions<HashingOptions>().BindConfiguration(HashingOptions.Section)
            .Validate<IHostEnvironment>((o, env) => !string.IsNullOrWhiteSpace(o.DonorKey) || env.IsDevelopment(),
                "The app setting Hashing__DonorKey (Hashing:DonorKey) is required outside Development: donor contacts are hashed with it.")
            .Validate(o => !IsUnresolvedVaultReference(o.DonorKey), UnresolvedMessage("Hashing__DonorKey"))
            .ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.PerClientPerSecond >= 0, "The app setting RateLimit__PerClientPerSecond must be 0 (off) or more.")
            .ValidateOnStart();
        services.AddOptions<RedriveOptions>().BindConfiguration(RedriveOptions.Section)
            .Validate(o => o.StaleAfterSeconds is null or > 0, "The app setting Redrive__StaleAfterSeconds must be more than 0 when set.")
            .ValidateOnStart();
        services.AddOptions<FinalSnapshotOptions>().BindConfiguration(FinalSnapshotOptions.Section)
            .Validate(o => o.GraceSeconds >= 0, "The app setting FinalSnapshot__GraceSeconds must be 0 or more.")
            .ValidateOnStart();
        services.AddOptions<LedgerSettings>().BindConfiguration(LedgerSettings.Section)
            .Validate(o => o.Source is null || Enum.TryParse<LedgerSourceMode>(o.Source, ignoreCase: true, out _),
                "The app setting Ledger__Source must be 'markers' or 'scan'.")
            .ValidateOnStart();
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section)
            .Validate(o => ProxyOptions.List(o.KnownProxies).All(a => System.Net.IPAddress.TryParse(a, out _)),
                "The app setting ForwardedHeaders__KnownProxies must list IP addresses, comma-separated.")
            .Validate(o => ProxyOptions.List(o.KnownNetworks).All(n => System.Net.IPNetwork.TryParse(n, out _)),
                "The app setting ForwardedHeaders__KnownNetworks must list CIDR networks (such as 10.0.0.0/8), comma-separated.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>The platform hands over a Key Vault reference it could not resolve as its own text. Taken as a key, that
    /// text (which names only the vault and the secret) would open the organiser routes to anyone who can guess it.</summary>
    private static bool IsUnresolvedVaultReference(string? value) =>
        value?.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true;

    private static string UnresolvedMessage(string appSetting) =>
        $"The app setting {appSetting} is a Key Vault reference that did not resolve: give the app's identity Key Vault Secrets User on the vault and check the secret's name.";
}
