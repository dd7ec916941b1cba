using GivingDay.Functions.Functions;
using GivingDay.Functions.Hosting;

namespace GivingDay.Functions;

/// <summary>Builds the one server that is both the custom handler and the standalone app.
/// Tests call <see cref="Build"/> with their own settings to run several instances side by side.</summary>
public static class GivingDayApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // The app's files (host.json, wwwroot) sit beside the binary, wherever it is started from.
        var builder = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
            ? WebApplication.CreateSlimBuilder(args)
            : WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddGivingDay();
        customize?.Invoke(builder);
        // After customize: the mode (FUNCTIONS_CUSTOMHANDLER_PORT) may come from a test's own settings.
        builder.AddFunctionHosting(FunctionCatalog.All);
        var app = builder.Build();
        app.MapGivingDay();
        app.MapFunctionInvocations();
        app.MapPages();
        return app;
    }
}
