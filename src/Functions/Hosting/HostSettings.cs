using System.Text.Json;

namespace GivingDay.Functions.Hosting;

/// <summary>The queue settings of host.json (extensions.queues), with the overrides the Functions host takes
/// from app settings (AzureFunctionsJobHost__extensions__queues__batchSize, …), so that both modes read the same.</summary>
public sealed record QueueSettings(int BatchSize, int NewBatchThreshold, int MaxDequeueCount, TimeSpan VisibilityTimeout, TimeSpan MaxPollingInterval, string MessageEncoding)
{
    public int MaxConcurrent => BatchSize + NewBatchThreshold;

    public static QueueSettings Read(IConfiguration configuration, string contentRoot)
    {
        JsonElement queues = default;
        var path = new[] { Path.Combine(contentRoot, "host.json"), Path.Combine(AppContext.BaseDirectory, "host.json") }.FirstOrDefault(File.Exists);
        if (path is not null)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.TryGetProperty("extensions", out var ext) && ext.TryGetProperty("queues", out var q)) queues = q.Clone();
        }
        var overrides = configuration.GetSection("AzureFunctionsJobHost:extensions:queues");
        string? Value(string name) =>
            overrides[name] ?? (queues.ValueKind == JsonValueKind.Object && queues.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null);

        var batchSize = Math.Clamp(int.TryParse(Value("batchSize"), out var b) ? b : 16, 1, 32);
        return new QueueSettings(
            batchSize,
            int.TryParse(Value("newBatchThreshold"), out var n) ? Math.Max(0, n) : batchSize / 2,
            int.TryParse(Value("maxDequeueCount"), out var m) ? Math.Max(1, m) : 5,
            TimeSpan.TryParse(Value("visibilityTimeout"), out var vt) ? vt : TimeSpan.Zero,
            TimeSpan.TryParse(Value("maxPollingInterval"), out var mp) ? mp : TimeSpan.FromMinutes(1),
            Value("messageEncoding") ?? "base64");
    }
}
