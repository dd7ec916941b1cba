using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Telemetry;
using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Polly.Registry;

namespace GivingDay.Functions.Http;

/// <summary>A donor's routes: give (idempotent with Idempotency-Key), and look up a gift's status.</summary>
public sealed partial class PledgeFunctions(
    CampaignStore campaigns, PledgeIntake intake, DonorIdentity identity, PledgeRateLimit rateLimit,
    StorageAccount account, ResiliencePipelineProvider<string> pipelines, LedgerReader ledger, TimeProvider clock)
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdempotencyKeyPattern();

    [Function(nameof(PostPledge))]
    [EndpointSummary("Give: a pledge to one of the campaign's projects")]
    [Header("Idempotency-Key", "1–64 characters of A-Z, a-z, 0-9, '_' and '-'. The same key and body again get the same answer; without a key a retried request may give twice.")]
    [Body<PledgeBody>("A pledge.")]
    [Answer<PledgeAcceptedView>(202, "Accepted and durably stored; counted shortly (follow statusUrl, also in Location).", Headers = ["Location"])]
    [Problem(400, "Invalid fields (an unknown project among them) or an invalid Idempotency-Key, each named.", NamesFields = true)]
    [Problem(404, "No such campaign; or an unknown project when every other field is valid (named).")]
    [Problem(409, "The campaign is not open (not started, ended or closed), or a request with this Idempotency-Key is in flight.")]
    [Problem(413, "The body is over 4 KiB.")]
    [Problem(415, "The body is not application/json (Content-Type named).", NamesFields = true)]
    [Problem(422, "This Idempotency-Key was used with a different body.")]
    [Problem(429, "This client sent too many pledges in a second.", Headers = ["Retry-After"])]
    public async Task<IResult> PostPledge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "campaigns/{campaignId}/pledges")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        var answer = await GiveAsync(request, campaignId, ct);
        GivingDayTelemetry.PledgeAnswered((answer as IStatusCodeHttpResult)?.StatusCode ?? 200);
        return answer;
    }

    private async Task<IResult> GiveAsync(HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (rateLimit.Reject(request) is { } limited) return limited;
        var key = request.Headers["Idempotency-Key"];
        if (key.Count > 1 || (key.Count == 1 && !IdempotencyKeyPattern().IsMatch(key[0] ?? "")))
            return Problems.Field(400, "idempotencyKey.invalid", "Idempotency-Key", "idempotencyKey.invalid");
        if (Problems.UnlessBodyIs(request, "application/json") is { } unsupported) return unsupported;
        if (request.ContentLength > PledgeRequest.MaxBodyBytes) return TooLarge();
        var body = await ReadBodyAsync(request, ct);
        if (body is null) return TooLarge();

        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.CampaignNotFound(campaignId);

        var errors = new ValidationErrors();
        JsonElement json;
        try { using var document = JsonDocument.Parse(body); json = document.RootElement.Clone(); }
        catch (JsonException) { errors.Add("body", "body.not_json"); return Problems.Invalid(errors); }
        var valid = PledgeRequest.Parse(json, campaign, errors, out var unknownProject);
        // Every bad field in one answer; an unknown project alone is a 404.
        if (valid is null)
            return unknownProject && errors.Count == 1
                ? Problems.Field(404, "projectId.unknown", "projectId", "projectId.unknown", json.GetProperty("projectId").GetString())
                : Problems.Invalid(errors);
        var now = clock.GetUtcNow();

        var contactHash = identity.ContactHash(valid.Contact);
        var pledge = new Pledge(
            key.Count == 1 ? identity.PledgeIdFor(campaignId, key[0]!) : DonorIdentity.NewPledgeId(),
            campaignId, valid.ProjectId, valid.Amount, contactHash, DonorIdentity.Mask(valid.Name), valid.Message,
            Channels.Online, now, valid.Fingerprint(contactHash), valid.Name, valid.Anonymous);
        var recordActivity = contactHash is not null && campaign.MatchingFunds.Any(f => f.EndsAt > now);

        var outcome = campaign.IsOpenAt(now) ? await intake.AcceptAsync(pledge, recordActivity, ct, keyed: key.Count == 1) : new IntakeOutcome.NotOpen(campaign.StatusAt(now));
        // Closed to new pledges, but a replay of a stored one still gets its original answer.
        if (outcome is IntakeOutcome.NotOpen && key.Count == 1 && await intake.ReplayAsync(pledge, campaign.Shards, ct) is { } replayed) outcome = replayed;
        return outcome switch
        {
            IntakeOutcome.Accepted a => Accepted(a.Pledge),
            IntakeOutcome.KeyReused => Problems.Of(422, "idempotency.key_reused"),
            IntakeOutcome.InFlight => Problems.Of(409, "idempotency.in_flight"),
            IntakeOutcome.NotOpen n => NotOpen(n.Status),
            _ => throw new InvalidOperationException("unknown intake outcome"),
        };
    }

    [Function(nameof(GetPledge))]
    [EndpointSummary("A pledge's status: accepted, then counted with its match; once sequenced, where its ledger proof is")]
    [Answer<PledgeStatusView>(200, "The pledge.")]
    [Problem(404, "No such pledge in this campaign.")]
    public async Task<IResult> GetPledge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "campaigns/{campaignId}/pledges/{pledgeId}")] HttpRequest request,
        string campaignId, string pledgeId, CancellationToken ct)
    {
        var shards = (await campaigns.GetAsync(campaignId, ct))?.Shards ?? 1;
        var row = await PledgeRows.FindAsync(account.Table(StorageNames.LedgerTable), pipelines.GetPipeline(StoragePipelines.Storage), campaignId, shards, pledgeId, ct);
        if (row is null) return Problems.NotFound("pledge.not_found", pledgeId, campaignId);
        var pledge = PledgeRows.FromRow(row);
        var sequenced = pledge.Counted ? await ledger.IndexOfAsync(campaignId, pledgeId, ct) : null;
        return TypedResults.Ok(PledgeStatusView.Of(pledge,
            sequenced is { Outcome: LedgerOutcome.Found } ? PledgeLedgerView.Of(campaignId, pledgeId, sequenced.Value) : null));
    }

    private static Accepted<PledgeAcceptedView> Accepted(Pledge p)
    {
        var statusUrl = $"/api/campaigns/{p.CampaignId}/pledges/{p.Id}";
        return TypedResults.Accepted(statusUrl, new PledgeAcceptedView(p.Id, "accepted", statusUrl));
    }

    private static Problem NotOpen(CampaignStatus status) => Problems.Of(409, status == CampaignStatus.Draft ? "campaign.not_started" : "campaign.closed");

    private static Problem TooLarge() => Problems.Of(413, "body.too_large", PledgeRequest.MaxBodyBytes);

    /// <summary>Reads at most the allowed bytes; null when the body is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new byte[PledgeRequest.MaxBodyBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await request.Body.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        return read > PledgeRequest.MaxBodyBytes ? null : buffer[..read];
    }
}
