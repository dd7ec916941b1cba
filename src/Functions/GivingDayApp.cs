using GivingDay.Functions.Functions;
using GivingDay.Functions.Hosting;

namespace GivingDay.Functions;

/// <summary>Builds the one server that is both the custom handler and the standalone app.
/// Tests call <see cref="Build"/> with their own settings to run several instances side by side.</summary>
public static class GivingDayApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddGivingDay();
        builder.AddFunctionHosting(FunctionCatalog.All);
        customize?.Invoke(builder);
        var app = builder.Build();
        app.MapGivingDay();
        app.MapFunctionInvocations();
        return app;
    }
}
