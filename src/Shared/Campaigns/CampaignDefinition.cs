using System.Text.Json;
using System.Text.RegularExpressions;
using GivingDay.Amounts;
using GivingDay.Validation;

using GivingDay.Totals;

namespace GivingDay.Campaigns;

/// <summary>Reads and validates the body of <c>PUT /api/organiser/campaigns/{id}</c>, naming each bad field.</summary>
public static partial class CampaignDefinition
{
    public static readonly Money DefaultMinPledge = new(100);
    public static readonly Money DefaultMaxPledge = new(5_000_000);
    public static readonly string[] Events = ["5.8", "99", "custom"];

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex WholeNumber();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    public static partial Regex IdPattern();

    // ISO 8601 / RFC 3339 date-time with an offset. DateTimeOffset.TryParse alone also takes "09/07/2026 …",
    // where month/day order is a guess.
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex IsoTimeWithOffset();

    public static Campaign? Parse(string campaignId, JsonElement body, ValidationErrors errors)
    {
        if (!IdPattern().IsMatch(campaignId)) errors.Add("campaignId", "campaignId.invalid");
        if (body.ValueKind != JsonValueKind.Object) { errors.Add("body", "body.not_object"); return null; }

        var name = RequiredText(body, "name", 100, errors);
        var ev = RequiredText(body, "event", 20, errors);
        if (ev is not null && !Events.Contains(ev)) errors.Add("event", "event.unknown");
        var startsAt = RequiredTime(body, "startsAt", errors);
        var endsAt = RequiredTime(body, "endsAt", errors);
        if (startsAt is not null && endsAt is not null && endsAt <= startsAt) errors.Add("endsAt", "endsAt.before_start");

        var minPledge = OptionalMoney(body, "minPledge", errors) ?? DefaultMinPledge;
        var maxPledge = OptionalMoney(body, "maxPledge", errors) ?? DefaultMaxPledge;
        if (minPledge.Fen < 1) errors.Add("minPledge", "minPledge.too_small");
        if (maxPledge < minPledge) errors.Add("maxPledge", "maxPledge.below_min");

        var projects = ParseProjects(body, errors, out var listedProjectIds);
        var funds = ParseFunds(body, listedProjectIds, startsAt, endsAt, errors);
        var shards = OptionalShards(body, errors);

        if (!errors.IsEmpty) return null;
        return new Campaign(campaignId, name!, ev!, startsAt!.Value, endsAt!.Value, minPledge, maxPledge, projects, funds, Shards: shards);
    }

    /// <param name="listedIds">Every id the list names, valid entry or not (null when there is no list): duplicates and
    /// funds' project lists are checked against these, so one bad entry is not blamed a second time elsewhere.</param>
    private static List<Project> ParseProjects(JsonElement body, ValidationErrors errors, out HashSet<string>? listedIds)
    {
        var projects = new List<Project>();
        listedIds = null;
        if (!body.TryGetProperty("projects", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            errors.Add("projects", "projects.required");
            return projects;
        }
        listedIds = new HashSet<string>(StringComparer.Ordinal);
        if (list.GetArrayLength() == 0) errors.Add("projects", "projects.empty");
        if (list.GetArrayLength() > 100) errors.Add("projects", "projects.too_many", 100);
        var i = 0;
        foreach (var p in list.EnumerateArray())
        {
            var at = $"projects[{i++}]";
            if (p.ValueKind != JsonValueKind.Object) { errors.Add(at, "project.not_object"); continue; }
            var id = RequiredText(p, "id", 40, errors, at);
            if (id is not null && !IdPattern().IsMatch(id)) errors.Add($"{at}.id", "id.invalid");
            var name = RequiredText(p, "name", 60, errors, at);
            var goal = RequiredMoney(p, "goal", errors, at);
            if (goal is { Fen: < 0 }) errors.Add($"{at}.goal", "goal.negative");
            if (id is not null && !listedIds.Add(id)) errors.Add($"{at}.id", "id.duplicate", id);
            var story = OptionalStory(p, errors, at);
            var picture = OptionalPictureUrl(p, errors, at);
            if (id is not null && name is not null && goal is not null) projects.Add(new Project(id, name, goal.Value, story, picture));
        }
        return projects;
    }

    private static List<MatchingFund> ParseFunds(JsonElement body, HashSet<string>? projectIds, DateTimeOffset? campaignStart, DateTimeOffset? campaignEnd, ValidationErrors errors)
    {
        var funds = new List<MatchingFund>();
        var fundIds = new HashSet<string>(StringComparer.Ordinal);
        if (!body.TryGetProperty("matchingFunds", out var list) || list.ValueKind == JsonValueKind.Null) return funds;
        if (list.ValueKind != JsonValueKind.Array) { errors.Add("matchingFunds", "matchingFunds.not_list"); return funds; }
        if (list.GetArrayLength() > 20) errors.Add("matchingFunds", "matchingFunds.too_many", 20);
        var i = 0;
        foreach (var f in list.EnumerateArray())
        {
            var at = $"matchingFunds[{i++}]";
            if (f.ValueKind != JsonValueKind.Object) { errors.Add(at, "fund.not_object"); continue; }
            var id = RequiredText(f, "id", 40, errors, at);
            if (id is not null && !IdPattern().IsMatch(id)) errors.Add($"{at}.id", "id.invalid");
            if (id is not null && !fundIds.Add(id)) errors.Add($"{at}.id", "id.duplicate", id);
            var sponsor = RequiredText(f, "sponsor", 60, errors, at);
            Ratio? ratio = null;
            if (!f.TryGetProperty("ratio", out var r) || r.ValueKind != JsonValueKind.Number) errors.Add($"{at}.ratio", "ratio.required");
            else if (!Ratio.TryParse(r.GetRawText(), out var parsed)) errors.Add($"{at}.ratio", "ratio.invalid");
            else ratio = parsed;
            var pool = RequiredMoney(f, "pool", errors, at);
            if (pool is { Fen: < 0 }) errors.Add($"{at}.pool", "pool.negative");
            var perPledge = OptionalMoney(f, "perPledgeCap", errors, at);
            if (perPledge is { Fen: <= 0 }) errors.Add($"{at}.perPledgeCap", "perPledgeCap.not_positive");
            var perDonor = OptionalMoney(f, "perDonorCap", errors, at);
            if (perDonor is { Fen: <= 0 }) errors.Add($"{at}.perDonorCap", "perDonorCap.not_positive");
            var starts = OptionalTime(f, "startsAt", errors, at) ?? campaignStart;
            var ends = OptionalTime(f, "endsAt", errors, at) ?? campaignEnd;
            if (starts is not null && ends is not null && ends <= starts) errors.Add($"{at}.endsAt", "endsAt.before_start");
            if (campaignStart is not null && starts < campaignStart) errors.Add($"{at}.startsAt", "startsAt.outside_campaign");
            if (campaignEnd is not null && ends > campaignEnd) errors.Add($"{at}.endsAt", "endsAt.outside_campaign");
            var fundProjectIds = new List<string>();
            if (f.TryGetProperty("projectIds", out var ids) && ids.ValueKind != JsonValueKind.Null)
            {
                if (ids.ValueKind != JsonValueKind.Array) errors.Add($"{at}.projectIds", "projectIds.not_list");
                else foreach (var pid in ids.EnumerateArray())
                {
                    if (pid.ValueKind != JsonValueKind.String) { errors.Add($"{at}.projectIds", "projectIds.not_list"); continue; }
                    var s = pid.GetString()!;
                    // Without a project list there is nothing to check against; "projects" is named already.
                    if (projectIds is not null && !projectIds.Contains(s)) errors.Add($"{at}.projectIds", "projectIds.unknown", s);
                    else if (!fundProjectIds.Contains(s)) fundProjectIds.Add(s);
                }
            }
            if (id is not null && sponsor is not null && ratio is not null && pool is not null && starts is not null && ends is not null)
                funds.Add(new MatchingFund(id, sponsor, ratio.Value, pool.Value, perPledge, perDonor, starts.Value, ends.Value, fundProjectIds));
        }
        return funds;
    }

    private static string Field(string? at, string name) => at is null ? name : $"{at}.{name}";

    private static string? RequiredText(JsonElement o, string name, int max, ValidationErrors errors, string? at = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            errors.Add(Field(at, name), $"{name}.required");
            return null;
        }
        var s = v.GetString()!.Normalize().Trim();
        if (s.Length > max) { errors.Add(Field(at, name), $"{name}.too_long", max); return null; }
        if (s.Any(char.IsControl)) { errors.Add(Field(at, name), $"{name}.control_chars"); return null; }
        return s;
    }

    public const int MaxStoryLength = 2000;

    /// <summary>Optional plain text; line breaks are kept, other control characters refused.</summary>
    private static string? OptionalStory(JsonElement o, ValidationErrors errors, string at)
    {
        if (!o.TryGetProperty("story", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) { errors.Add($"{at}.story", "story.not_string"); return null; }
        var s = v.GetString()!.Normalize().Trim();
        if (s.Length > MaxStoryLength) { errors.Add($"{at}.story", "story.too_long", MaxStoryLength); return null; }
        if (s.Any(c => char.IsControl(c) && c is not '\n' and not '\r')) { errors.Add($"{at}.story", "story.control_chars"); return null; }
        return s.Length == 0 ? null : s;
    }

    /// <summary>Optional absolute https URL of a picture (the pages load it as an image).</summary>
    private static string? OptionalPictureUrl(JsonElement o, ValidationErrors errors, string at)
    {
        if (!o.TryGetProperty("pictureUrl", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String || !Uri.TryCreate(v.GetString(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || v.GetString()!.Length > 500)
        {
            errors.Add($"{at}.pictureUrl", "pictureUrl.invalid");
            return null;
        }
        return uri.ToString();
    }

    private static DateTimeOffset? RequiredTime(JsonElement o, string name, ValidationErrors errors, string? at = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) { errors.Add(Field(at, name), $"{name}.required"); return null; }
        return ReadTime(v, Field(at, name), name, errors);
    }

    /// <summary>A definition without <c>shards</c>: the campaign keeps the count it has (<see cref="ShardLayout.Default"/> when
    /// new), so a client that does not know the setting never changes it.</summary>
    public const int KeepShards = 0;

    /// <summary>How many partitions counting is split into: 1 to <see cref="ShardLayout.Max"/>; absent: <see cref="KeepShards"/>.</summary>
    private static int OptionalShards(JsonElement body, ValidationErrors errors)
    {
        if (!body.TryGetProperty("shards", out var v) || v.ValueKind == JsonValueKind.Null) return KeepShards;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 1 && n <= ShardLayout.Max) return n;
        errors.Add("shards", "shards.out_of_range", ShardLayout.Max);
        return ShardLayout.Default;
    }

    private static DateTimeOffset? OptionalTime(JsonElement o, string name, ValidationErrors errors, string? at = null) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? ReadTime(v, Field(at, name), name, errors) : null;

    private static DateTimeOffset? ReadTime(JsonElement v, string field, string name, ValidationErrors errors)
    {
        // An offset is required: organisers think in UTC+8, and a bare local time would be ambiguous.
        if (v.ValueKind == JsonValueKind.String && v.GetString() is { } s && IsoTimeWithOffset().IsMatch(s)
            && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t))
            return t;
        errors.Add(field, $"{name}.not_time");
        return null;
    }

    private static Money? RequiredMoney(JsonElement o, string name, ValidationErrors errors, string? at = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) { errors.Add(Field(at, name), $"{name}.required"); return null; }
        return ReadMoney(v, Field(at, name), name, errors);
    }

    private static Money? OptionalMoney(JsonElement o, string name, ValidationErrors errors, string? at = null) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? ReadMoney(v, Field(at, name), name, errors) : null;

    private static Money? ReadMoney(JsonElement v, string field, string name, ValidationErrors errors)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var fen) && fen <= 1_000_000_000_000) return new Money(fen);
        errors.Add(field, v.ValueKind == JsonValueKind.Number && WholeNumber().IsMatch(v.GetRawText()) && !v.GetRawText().StartsWith('-') ? $"{name}.too_large" : $"{name}.not_integer");
        return null;
    }
}
