using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Json;

namespace GivingDay.Campaigns;

/// <summary>One difference between the stored definition and a proposed one: a JSON path as the PUT body spells it
/// (<c>projects[1].goal</c>), the value now (null when absent) and the value proposed (null when removed).</summary>
public sealed record CampaignChange(string Path, JsonNode? From, JsonNode? To);

/// <summary>What a definition change would change, field by field, for the organiser's dry run. Lists are compared by
/// position, as the organiser wrote them; times are compared as instants (+08:00 and Z of one moment are no change).</summary>
public static class CampaignChanges
{
    public static IReadOnlyList<CampaignChange> Between(Campaign? stored, Campaign proposed)
    {
        var changes = new List<CampaignChange>();
        Compare("", stored is null ? null : Definition(stored), Definition(proposed), changes);
        return changes;
    }

    /// <summary>The definition as the PUT body carries it: no id (it is the route), no close or finalize times.</summary>
    private static JsonObject Definition(Campaign c)
    {
        var node = JsonSerializer.SerializeToNode(c with { ClosedAt = null, FinalizedAt = null }, GivingDayJson.Options)!.AsObject();
        foreach (var ignored in new[] { "id", "closedAt", "finalizedAt" }) node.Remove(ignored);
        return node;
    }

    private static void Compare(string path, JsonNode? from, JsonNode? to, List<CampaignChange> changes)
    {
        switch (from, to)
        {
            case (JsonObject a, JsonObject b):
                foreach (var name in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                    Compare(path.Length == 0 ? name : $"{path}.{name}", a[name], b[name], changes);
                break;
            case (JsonArray a, JsonArray b):
                for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
                    Compare($"{path}[{i}]", i < a.Count ? a[i] : null, i < b.Count ? b[i] : null, changes);
                break;
            case (null, null):
                break;
            case (null, JsonObject b) when path.Length == 0:
                // A new campaign: every field is new.
                foreach (var (name, value) in b) changes.Add(new(name, null, value?.DeepClone()));
                break;
            default:
                if (!SameValue(from, to)) changes.Add(new(path, from?.DeepClone(), to?.DeepClone()));
                break;
        }
    }

    private static bool SameValue(JsonNode? a, JsonNode? b)
    {
        if (JsonNode.DeepEquals(a, b)) return true;
        return a is JsonValue va && b is JsonValue vb && va.TryGetValue<string>(out var sa) && vb.TryGetValue<string>(out var sb)
            && Instant(sa) is { } ta && Instant(sb) is { } tb && ta == tb;
    }

    private static DateTimeOffset? Instant(string s) =>
        s.Length >= 20 && s[4] == '-' && s[10] == 'T' && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
}
