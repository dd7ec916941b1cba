namespace GivingDay.Functions;

/// <summary>Builds the one server that is both the custom handler and the standalone app.
/// Tests call <see cref="Build"/> with their own settings to run several instances side by side.</summary>
public static class GivingDayApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddGivingDay();
        customize?.Invoke(builder);
        var app = builder.Build();
        app.MapGivingDay();
        return app;
    }
}
