using Microsoft.Extensions.Options;

namespace GivingDay.StandaloneHost;

/// <summary>The web pages (src/Pages, copied to wwwroot): campaign list, campaign page, live leaderboard, organiser
/// console. In Azure a Static Web App serves the same files. <c>/config.js</c> tells the pages where the API is
/// (Pages:ApiBase; empty = same origin).</summary>
public static class Pages
{
    public static WebApplication MapPages(this WebApplication app)
    {
        app.UseStaticFiles();
        app.MapGet("/", () => Page("index.html"));
        app.MapGet("/c/{campaignId}", (string campaignId) => Page("campaign.html"));
        app.MapGet("/c/{campaignId}/live", (string campaignId) => Page("live.html"));
        app.MapGet("/organiser", () => Page("organiser.html"));
        app.MapGet("/config.js", (IOptions<PagesOptions> options) => Results.Text(
            $"window.GIVINGDAY_CONFIG = {{ apiBase: {System.Text.Json.JsonSerializer.Serialize(options.Value.ApiBase ?? "")} }};",
            "text/javascript; charset=utf-8"));
        return app;

        IResult Page(string file) => Results.File(Path.Combine(app.Environment.WebRootPath, file), "text/html; charset=utf-8");
    }
}

/// <summary>Pages:ApiBase: where the pages find the API (an absolute http(s) address; empty = same origin).</summary>
public sealed class PagesOptions
{
    public const string Section = "Pages";
    public string? ApiBase { get; set; }

    public static IServiceCollection AddPagesOptions(IServiceCollection services)
    {
        services.AddOptions<PagesOptions>().BindConfiguration(Section)
            .Validate(o => string.IsNullOrEmpty(o.ApiBase) || Uri.TryCreate(o.ApiBase, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "The setting Pages__ApiBase must be empty or an absolute http(s) address.")
            .ValidateOnStart();
        return services;
    }
}
