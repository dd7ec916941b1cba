using System.Security.Cryptography;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Totals;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Http;

/// <summary>The public read routes: the campaign list, a campaign, and its live leaderboard.</summary>
public sealed class CampaignFunctions(CampaignStore campaigns, LiveTotals totals, LedgerReader ledger, TimeProvider clock)
{
    [Function(nameof(ListCampaigns))]
    [EndpointSummary("The campaigns, live ones first, then the latest")]
    [Answer<List<CampaignSummaryView>>(200, "Every campaign.")]
    public async Task<IResult> ListCampaigns([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "campaigns")] HttpRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var list = (await campaigns.ListAsync(ct))
            .Select(c => new CampaignSummaryView(c.Id, c.Name, c.Event, c.StartsAt, c.EndsAt, c.StatusAt(now)))
            .OrderBy(c => c.Status == CampaignStatus.Live ? 0 : 1).ThenByDescending(c => c.StartsAt).ToList();
        return TypedResults.Ok(list);
    }

    [Function(nameof(GetCampaign))]
    [EndpointSummary("A campaign: its projects, matching funds, limits and latest ledger checkpoint")]
    [Answer<CampaignView>(200, "The campaign.")]
    [Problem(404, "No such campaign.")]
    public async Task<IResult> GetCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "campaigns/{campaignId}")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.CampaignNotFound(campaignId);
        var reading = await totals.GetAsync(campaignId, ct);
        // The latest public-ledger checkpoint, so pages can show it (the reader keeps it for a second).
        var checkpoint = await ledger.CheckpointAsync(campaignId, null, ct);
        return TypedResults.Ok(CampaignView.Of(campaign, reading.State, clock.GetUtcNow()) with
        {
            Ledger = checkpoint.Outcome == LedgerOutcome.Found ? checkpoint.Value : null,
        });
    }

    private static readonly ConditionalWeakTable<Campaign, string> DefinitionTags = new();

    /// <summary>Served from the instance's cached totals; the ETag changes only when the totals or the definition do,
    /// so pollers that send If-None-Match get 304 with no body.</summary>
    [Function(nameof(GetLeaderboard))]
    [EndpointSummary("The live leaderboard: totals, projects ranked, funds' remaining pools, recent gifts")]
    [Query<string>("by", "Rank projects by total (the default) or by donors; ties go to the other, then to the project id.", Allowed = ["total", "donors"])]
    [Header("If-None-Match", "The ETag of a copy already held: 304 while it is current.")]
    [Answer<LeaderboardView>(200, "The leaderboard.", Headers = ["ETag", "Cache-Control"])]
    [Answer(304, "The copy named by If-None-Match is current.", Headers = ["ETag"])]
    [Problem(400, "by is neither total nor donors.", NamesFields = true)]
    [Problem(404, "No such campaign.")]
    public async Task<IResult> GetLeaderboard(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "campaigns/{campaignId}/leaderboard")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        var by = request.Query["by"].ToString() is { Length: > 0 } b ? b : "total";
        if (by is not ("total" or "donors")) return Problems.Field(400, "request.invalid", "by", "leaderboardBy.invalid");
        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.CampaignNotFound(campaignId);
        var reading = await totals.GetAsync(campaignId, ct);

        var definition = DefinitionTags.GetValue(campaign, c => Hash(JsonSerializer.Serialize(c, GivingDayJson.Options)));
        request.HttpContext.Response.Headers.CacheControl = "public, max-age=2";
        if (EntityTags.NotModified(request, $"\"{Hash(reading.Version + definition)}-{by}\""))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Ok(LeaderboardView.Of(campaign, reading.State, reading.ReadAt, by == "donors"));
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..20];
}
