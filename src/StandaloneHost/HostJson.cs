using GivingDay.Functions;

namespace GivingDay.StandaloneHost;

/// <summary>host.json as the Functions host reads it: under the <c>AzureFunctionsJobHost</c> section, beneath every other
/// source, so app settings such as <c>AzureFunctionsJobHost__extensions__queues__batchSize</c> override it exactly as
/// they do in Azure. The WebJobs SDK is pointed at that section (it reads <c>AzureWebJobs</c> by default).</summary>
public static class HostJson
{
    public const string Section = "AzureFunctionsJobHost";

    public static void AddTo(ConfigurationManager configuration, string path)
    {
        var settings = new Dictionary<string, string?> { ["AzureWebJobsConfigurationSection"] = Section };
        foreach (var (name, schedule) in Triggers.DefaultSchedules) settings[name] = schedule;
        if (File.Exists(path))
            foreach (var (key, value) in new ConfigurationBuilder().AddJsonFile(path, optional: false).Build().AsEnumerable())
                if (value is not null)
                {
                    settings[$"{Section}:{key}"] = value;
                    // host.json's log levels are the host's; here they are the defaults of the app's own logging.
                    if (key.StartsWith("logging:logLevel:", StringComparison.OrdinalIgnoreCase)) settings["Logging:LogLevel:" + key["logging:logLevel:".Length..]] = value;
                }
        // Lowest precedence: every source already added (appsettings, environment, command line) and every one added
        // later (a test's settings) overrides these.
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = settings });
    }

    public static string RoutePrefix(IConfiguration configuration) =>
        configuration[$"{Section}:extensions:http:routePrefix"] ?? "api";

    public static TimeSpan? FunctionTimeout(IConfiguration configuration) =>
        TimeSpan.TryParse(configuration[$"{Section}:functionTimeout"], out var t) && t > TimeSpan.Zero ? t : null;
}
