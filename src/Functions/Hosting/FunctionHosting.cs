using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Storage;

namespace GivingDay.Functions.Hosting;

/// <summary>The two modes. Hosted (FUNCTIONS_CUSTOMHANDLER_PORT set): the Functions host delivers every
/// trigger; HTTP requests are forwarded as they are, queue and timer invocations arrive as POST /{FunctionName}.
/// Standalone: the app listens on its own URL and runs its own queue listeners and timers.</summary>
public static class FunctionHosting
{
    public const string PortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string DefaultUrl = "http://127.0.0.1:7071";

    public static bool IsHosted(IConfiguration configuration) => !string.IsNullOrEmpty(configuration[PortSetting]);

    public static WebApplicationBuilder AddFunctionHosting(this WebApplicationBuilder builder, IReadOnlyList<FunctionDeclaration> functions)
    {
        var services = builder.Services;
        services.AddSingleton(functions);
        services.AddSingleton(sp => QueueSettings.Read(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IWebHostEnvironment>().ContentRootPath));
        if (IsHosted(builder.Configuration))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{builder.Configuration[PortSetting]}");
            return builder;
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);
        foreach (var queue in functions.OfType<QueueFunction>())
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IConfiguration>().GetValue("Standalone:Listeners", true)
                ? ActivatorUtilities.CreateInstance<QueueListener>(sp, queue) : new Idle());
        foreach (var timer in functions.OfType<TimerFunction>())
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IConfiguration>().GetValue("Standalone:Listeners", true)
                ? ActivatorUtilities.CreateInstance<TimerScheduler>(sp, timer) : new Idle());
        return builder;
    }

    /// <summary>Hosted mode only: POST /{FunctionName} for queue and timer functions. Standalone these routes
    /// do not exist, so nobody can invoke a function from outside.</summary>
    public static WebApplication MapFunctionInvocations(this WebApplication app)
    {
        if (!IsHosted(app.Configuration)) return app;
        foreach (var function in app.Services.GetRequiredService<IReadOnlyList<FunctionDeclaration>>())
            app.MapPost($"/{function.Name}", (HttpContext http, CancellationToken ct) => InvokeAsync(function, http, ct))
                .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> InvokeAsync(FunctionDeclaration function, HttpContext http, CancellationToken ct)
    {
        var logs = new JsonArray();
        try
        {
            using var payload = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            var data = payload.RootElement.GetProperty("Data");
            var metadata = payload.RootElement.TryGetProperty("Metadata", out var m) ? m : default;
            switch (function)
            {
                case QueueFunction queue:
                    await queue.Run(http.RequestServices, QueueInput(data, metadata), ct);
                    break;
                case TimerFunction timer:
                    var info = data.TryGetProperty("timer", out var t) ? t : default;
                    var pastDue = info.ValueKind == JsonValueKind.Object && info.TryGetProperty("IsPastDue", out var p) && p.ValueKind == JsonValueKind.True;
                    await timer.Run(http.RequestServices, new TimerInput(DateTimeOffset.UtcNow, pastDue), ct);
                    break;
            }
            logs.Add($"{function.Name} succeeded");
            return Answer(StatusCodes.Status200OK, logs);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // A non-success status fails the invocation: the host retries the message and poisons it at the limit.
            logs.Add($"{function.Name} failed: {e.GetType().Name}: {e.Message}");
            return Answer(StatusCodes.Status500InternalServerError, logs);
        }
    }

    private static IResult Answer(int status, JsonArray logs) =>
        Results.Json(new JsonObject { ["Outputs"] = new JsonObject(), ["Logs"] = logs, ["ReturnValue"] = null }, statusCode: status);

    /// <summary>The host sends the queue message as the trigger binding's data: a JSON string of the message
    /// text, or, when the text is itself JSON, that JSON value.</summary>
    internal static QueueMessageInput QueueInput(JsonElement data, JsonElement metadata)
    {
        var message = data.GetProperty("message");
        var text = message.ValueKind == JsonValueKind.String ? message.GetString()! : message.GetRawText();
        long dequeueCount = 1;
        string id = "";
        DateTimeOffset? inserted = null;
        if (metadata.ValueKind == JsonValueKind.Object)
        {
            if (metadata.TryGetProperty("DequeueCount", out var d))
                dequeueCount = d.ValueKind == JsonValueKind.Number ? d.GetInt64() : long.TryParse(d.GetString(), out var parsed) ? parsed : 1;
            if (metadata.TryGetProperty("Id", out var i)) id = i.ValueKind == JsonValueKind.String ? i.GetString()! : i.GetRawText().Trim('"');
            if (metadata.TryGetProperty("InsertionTime", out var ins) && ins.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(ins.GetString(), out var at)) inserted = at;
        }
        return new QueueMessageInput(text, dequeueCount, id, inserted);
    }

    private sealed class Idle : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
