using System.Text.Json;
using GivingDay.Telemetry;

namespace GivingDay.Functions.Functions;

/// <summary>The host moves a queue message to its poison queue once its delivery number maxDequeueCount (host.json,
/// deployed beside the app in both hosts) fails. The function sees that last failure, so it counts it: both hosts
/// report poisoned messages alike (givingday.messages.poisoned), though neither host's own move can be observed.</summary>
public static class PoisonMessages
{
    public static readonly long MaxDequeueCount = ReadMaxDequeueCount();

    /// <summary>For an exception filter: records a failure on the last delivery; never catches.</summary>
    public static bool GivenUp(string queue, long dequeueCount)
    {
        if (dequeueCount >= MaxDequeueCount) GivingDayTelemetry.MessagesPoisoned.Add(1, new KeyValuePair<string, object?>("queue", queue));
        return false;
    }

    private static long ReadMaxDequeueCount()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "host.json");
        if (!File.Exists(path)) return 5; // the host's default
        using var hostJson = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return hostJson.RootElement.TryGetProperty("extensions", out var e) && e.TryGetProperty("queues", out var q)
            && q.TryGetProperty("maxDequeueCount", out var max) && max.TryGetInt64(out var n) ? n : 5;
    }
}
