using GivingDay.Functions;
using GivingDay.Functions.Http;
using Scalar.AspNetCore;

namespace GivingDay.StandaloneHost;

/// <summary>Builds the standalone host. Tests call <see cref="Build"/> with their own settings to run several
/// instances side by side, as separate processes would.</summary>
public static class StandaloneApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>"false" starts no queue or timer triggers (HTTP only), for tests that drive counting themselves.</summary>
    public const string TriggersSetting = "Standalone:Triggers";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // host.json, the function app and the pages sit beside the binary, wherever it is started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        HostJson.AddTo(builder.Configuration, Path.Combine(AppContext.BaseDirectory, "host.json"));
        customize?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var functions = FunctionClasses.In(typeof(CampaignFunctions).Assembly);
        builder.Services.AddGivingDay(builder.Configuration, FunctionsHost.Standalone);
        PagesOptions.AddPagesOptions(builder.Services);
        foreach (var type in functions.Types) builder.Services.AddTransient(type);
        if (builder.Configuration.GetValue(TriggersSetting, true)) builder.AddWebJobsTriggers();

        var app = builder.Build();
        // First, as in the worker's ASP.NET Core integration: the client's address from a known proxy's X-Forwarded-For.
        app.UseForwardedHeaders();
        // As the worker's HttpFailures middleware: an unplanned failure is 500 problem+json with a trace id.
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = context => Problems.Unexpected(context).ExecuteAsync(context) });
        var routePrefix = HostJson.RoutePrefix(app.Configuration);
        app.MapHttpFunctions(functions.Http, routePrefix);
        // A browsable reference over the OpenAPI document, which is itself an HTTP function (both hosts serve it).
        app.MapScalarApiReference("/reference", o => o.WithTitle("GivingDay API")
            .WithOpenApiRoutePattern(string.IsNullOrEmpty(routePrefix) ? $"/{OpenApiFunctions.Route}" : $"/{routePrefix}/{OpenApiFunctions.Route}"));
        app.MapPages();
        return app;
    }
}
