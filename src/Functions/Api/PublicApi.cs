using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Totals;
using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Polly.Registry;

namespace GivingDay.Functions.Api;

/// <summary>The public routes: what the campaign page, the leaderboard page and donors' retries call.</summary>
public static partial class PublicApi
{
    public static IEndpointRouteBuilder MapPublicApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api");
        api.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithName("Health");
        api.MapGet("/campaigns", ListCampaigns).WithName("ListCampaigns");
        api.MapGet("/campaigns/{campaignId}", GetCampaign).WithName("GetCampaign");
        api.MapPost("/campaigns/{campaignId}/pledges", PostPledge).WithName("PostPledge").RequireRateLimiting(PledgeRateLimit.Policy);
        api.MapGet("/campaigns/{campaignId}/pledges/{pledgeId}", GetPledge).WithName("GetPledge");
        api.MapGet("/campaigns/{campaignId}/leaderboard", GetLeaderboard).WithName("GetLeaderboard");
        return routes;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdempotencyKeyPattern();

    private static async Task<Ok<List<CampaignSummaryView>>> ListCampaigns(CampaignStore campaigns, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var list = (await campaigns.ListAsync(ct))
            .Select(c => new CampaignSummaryView(c.Id, c.Name, c.Event, c.StartsAt, c.EndsAt, c.StatusAt(now)))
            .OrderBy(c => c.Status == CampaignStatus.Live ? 0 : 1).ThenByDescending(c => c.StartsAt).ToList();
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> GetCampaign(
        string campaignId, CampaignStore campaigns, LiveTotals totals, TimeProvider clock, CancellationToken ct)
    {
        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        var reading = await totals.GetAsync(campaignId, ct);
        return TypedResults.Ok(CampaignView.Of(campaign, reading.State, clock.GetUtcNow()));
    }

    private static async Task<Results<Accepted<PledgeAcceptedView>, ProblemHttpResult>> PostPledge(
        string campaignId, HttpRequest request, CampaignStore campaigns, PledgeIntake intake, DonorIdentity identity, TimeProvider clock, CancellationToken ct)
    {
        var key = request.Headers["Idempotency-Key"];
        if (key.Count > 1 || (key.Count == 1 && !IdempotencyKeyPattern().IsMatch(key[0] ?? "")))
            return Problems.Field(400, "Invalid Idempotency-Key", "Idempotency-Key", "must be 1–64 characters of A-Z, a-z, 0-9, '_' and '-'");
        if (request.ContentLength > PledgeRequest.MaxBodyBytes) return TooLarge();
        var body = await ReadBodyAsync(request, ct);
        if (body is null) return TooLarge();

        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.NotFound($"No campaign '{campaignId}'.");

        var errors = new ValidationErrors();
        JsonElement json;
        try { json = JsonDocument.Parse(body).RootElement; }
        catch (JsonException) { errors.Add("body", "must be a JSON object { projectId, amount, donor?, message? }"); return Problems.Invalid(errors); }
        var valid = PledgeRequest.Parse(json, campaign, errors);
        if (valid is null) return Problems.Invalid(errors);
        if (campaign.FindProject(valid.ProjectId) is null)
            return Problems.Field(404, "Unknown project", "projectId", $"'{valid.ProjectId}' is not a project of this campaign");
        var now = clock.GetUtcNow();
        if (!campaign.IsOpenAt(now)) return NotOpen(campaign.StatusAt(now));

        var contactHash = identity.ContactHash(valid.Contact);
        var pledge = new Pledge(
            key.Count == 1 ? identity.PledgeIdFor(campaignId, key[0]!) : DonorIdentity.NewPledgeId(),
            campaignId, valid.ProjectId, valid.Amount, contactHash, DonorIdentity.Mask(valid.Name), valid.Message,
            Channels.Online, now, valid.Fingerprint(contactHash));
        var recordActivity = contactHash is not null && campaign.MatchingFunds.Any(f => f.EndsAt > now);

        return await intake.AcceptAsync(pledge, recordActivity, ct) switch
        {
            IntakeOutcome.Accepted a => Accepted(a.Pledge),
            IntakeOutcome.KeyReused => Problems.Of(422, "Idempotency-Key reused", "This Idempotency-Key was used before with a different body."),
            IntakeOutcome.InFlight => Problems.Of(409, "Request in progress", "A request with this Idempotency-Key is being processed; retry shortly."),
            IntakeOutcome.NotOpen n => NotOpen(n.Status),
            _ => throw new InvalidOperationException("unknown intake outcome"),
        };
    }

    private static Accepted<PledgeAcceptedView> Accepted(Pledge p)
    {
        var statusUrl = $"/api/campaigns/{p.CampaignId}/pledges/{p.Id}";
        return TypedResults.Accepted(statusUrl, new PledgeAcceptedView(p.Id, "accepted", statusUrl));
    }

    private static ProblemHttpResult NotOpen(CampaignStatus status) => Problems.Of(409, "Campaign not open",
        status == CampaignStatus.Draft ? "The campaign has not started yet." : "The campaign is closed and takes no more pledges.");

    private static ProblemHttpResult TooLarge() =>
        Problems.Of(413, "Body too large", $"A pledge body is at most {PledgeRequest.MaxBodyBytes} bytes.");

    /// <summary>Reads at most the allowed bytes; null when the body is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new byte[PledgeRequest.MaxBodyBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await request.Body.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        return read > PledgeRequest.MaxBodyBytes ? null : buffer[..read];
    }

    private static async Task<Results<Ok<PledgeStatusView>, ProblemHttpResult>> GetPledge(
        string campaignId, string pledgeId, StorageAccount account, ResiliencePipelineProvider<string> pipelines, CancellationToken ct)
    {
        var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
            await account.Table(StorageNames.LedgerTable).GetEntityIfExistsAsync<TableEntity>(campaignId, LedgerKeys.Pledge(pledgeId), cancellationToken: t), ct);
        return row.HasValue ? TypedResults.Ok(PledgeStatusView.Of(PledgeRows.FromRow(row.Value!))) : Problems.NotFound($"No pledge '{pledgeId}' in '{campaignId}'.");
    }

    private static readonly ConditionalWeakTable<Campaign, string> DefinitionTags = new();

    private static async Task<IResult> GetLeaderboard(string campaignId, string? by, HttpContext http, CampaignStore campaigns, LiveTotals totals, CancellationToken ct)
    {
        by ??= "total";
        if (by is not ("total" or "donors")) return Problems.Field(400, "Invalid request", "by", "must be 'total' or 'donors'");
        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        var reading = await totals.GetAsync(campaignId, ct);

        var definition = DefinitionTags.GetValue(campaign, c => Hash(JsonSerializer.Serialize(c, GivingDayJson.Options)));
        var etag = new EntityTagHeaderValue($"\"{Hash(reading.Version + definition)}-{by}\"");
        http.Response.Headers.CacheControl = "public, max-age=2";
        http.Response.Headers.ETag = etag.ToString();
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags)
            && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Ok(LeaderboardView.Of(campaign, reading.State, reading.ReadAt, by == "donors"));
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..20];
}
