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
        return services;
    }

    /// <summary>The platform hands over a Key Vault reference it could not resolve as its own text. Taken as a key, that
    /// text (which names only the vault and the secret) would open the organiser routes to anyone who can guess it.</summary>
    private static bool IsUnresolvedVaultReference(string? value) =>
        value?.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true;

    private static string UnresolvedMessage(string appSetting) =>
        $"The app setting {appSetting} is a Key Vault reference that did not resolve: give the app's identity Key Vault Secrets User on the vault and check the secret's name.";
}
