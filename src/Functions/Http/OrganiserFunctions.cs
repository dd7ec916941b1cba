using System.Text.Json;
using System.Text.RegularExpressions;
using GivingDay.Campaigns;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Snapshots;
using GivingDay.Totals;
using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Http;

/// <summary>The organiser routes. Each one first checks the organiser key.</summary>
[RequiresOrganiserKey]
public sealed partial class OrganiserFunctions(
    OrganiserKey organiserKey, CampaignStore campaigns, CampaignEditor editor, CampaignClosing closing, LiveTotals totals,
    SnapshotStore snapshots, OfflineImport import, DonorList donors, TimeProvider clock)
{
    /// <summary>Creates or replaces a definition; with <c>?dryRun=true</c> every rule is checked alike and what would change
    /// is answered, nothing written.</summary>
    [Function(nameof(PutCampaign))]
    [EndpointSummary("Define a campaign, or change it (a change must keep what has been matched)")]
    [Body<CampaignBody>("The campaign definition.")]
    [Query<bool>("dryRun", "true: check every rule alike and answer what would change, writing nothing.")]
    [Answer<CampaignView>(201, "Defined.", Headers = ["Location"])]
    [Answer<CampaignView>(200, "Changed.")]
    [Answer<CampaignDryRunView>(200, "dryRun=true: what would change; nothing was written.")]
    [Problem(400, "Invalid fields, each named; or a change that conflicts with what has been matched.", NamesFields = true)]
    [Problem(409, "The campaign is closed, or someone changed it at the same moment.")]
    [Problem(415, "The body is not application/json (Content-Type named).", NamesFields = true)]
    public async Task<IResult> PutCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "organiser/campaigns/{campaignId}")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        var dryRun = request.Query["dryRun"].ToString();
        if (dryRun is not ("" or "true" or "false")) return Problems.Field(400, "request.invalid", "dryRun", "dryRun.invalid");
        if (Problems.UnlessBodyIs(request, "application/json") is { } unsupported) return unsupported;
        var errors = new ValidationErrors();
        JsonElement body;
        try { using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct); body = document.RootElement.Clone(); }
        catch (JsonException) { errors.Add("body", "body.not_json"); return Problems.Invalid(errors); }
        var definition = CampaignDefinition.Parse(campaignId, body, errors);
        if (definition is null) return Problems.Invalid(errors, "definition.invalid");

        EditOutcome outcome;
        try { outcome = await editor.PutAsync(definition, ct, dryRun: dryRun == "true"); }
        catch (ConcurrentCampaignChangeException) { return ChangedConcurrently(); }
        switch (outcome)
        {
            case EditOutcome.Saved saved:
                var view = CampaignView.Of(saved.Campaign, (await totals.ReadAsync(campaignId)).State, clock.GetUtcNow());
                return saved.Created ? TypedResults.Created($"/api/campaigns/{campaignId}", view) : TypedResults.Ok(view);
            case EditOutcome.Previewed preview:
                return TypedResults.Ok(new CampaignDryRunView(true, preview.Created, preview.Changes));
            case EditOutcome.Invalid invalid:
                return Problems.Invalid(invalid.Errors, "definition.conflicts");
            default:
                return Problems.Of(409, "campaign.closed_for_edits");
        }
    }

    /// <summary>Stops intake at once; the final snapshot follows through the campaign-close queue. Closing again is harmless.</summary>
    [Function(nameof(CloseCampaign))]
    [EndpointSummary("Close a campaign: intake stops at once, the final snapshot follows")]
    [Answer<ClosingView>(202, "Closed; Location is where the final snapshot will be.", Headers = ["Location"])]
    [Problem(404, "No such campaign.")]
    [Problem(409, "Someone changed the campaign at the same moment.")]
    public async Task<IResult> CloseCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "organiser/campaigns/{campaignId}/close")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        Campaign? closed;
        try { closed = await closing.CloseAsync(campaignId, ct); }
        catch (ConcurrentCampaignChangeException) { return ChangedConcurrently(); }
        if (closed is null) return Problems.CampaignNotFound(campaignId);
        return TypedResults.Accepted($"/api/organiser/campaigns/{campaignId}/snapshots/final",
            new ClosingView(campaignId, closed.FinalizedAt is null ? "closing" : "finalized", closed.ClosedAt));
    }

    private static Problem ChangedConcurrently() => Problems.Of(409, "campaign.changed_concurrently");

    [Function(nameof(ListSnapshots))]
    [EndpointSummary("The campaign's snapshots: progress ones by their stamp, and the final one")]
    [Answer<IReadOnlyList<SnapshotInfo>>(200, "The snapshots.")]
    [Problem(404, "No such campaign.")]
    public async Task<IResult> ListSnapshots(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/snapshots")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (await campaigns.GetAsync(campaignId, ct) is null) return Problems.CampaignNotFound(campaignId);
        return TypedResults.Ok(await snapshots.ListAsync(campaignId, ct));
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z$")]
    private static partial Regex ProgressStamp();

    /// <summary>"final" (JSON, or the ledger with ?format=csv) or a progress snapshot by its stamp, streamed from Blob Storage.</summary>
    [Function(nameof(GetSnapshot))]
    [EndpointSummary("A snapshot: final (JSON, or the ledger as CSV) or a progress one by its stamp (yyyyMMddTHHmmssZ)")]
    [Query<string>("format", "json (the default), or csv for the final ledger.", Allowed = ["json", "csv"])]
    [Answer<FinalSnapshot.Summary>(200, "final: the final figures and the ledger's SHA-256.")]
    [Answer<ProgressSnapshot>(200, "A progress snapshot.")]
    [Answer<string>(200, "final?format=csv: the ledger, one row per gift.", ContentType = "text/csv")]
    [Problem(400, "format is neither json nor csv, or csv is asked of a progress snapshot.", NamesFields = true)]
    [Problem(404, "No such snapshot; the final one is written once the campaign is closed and counted.")]
    public async Task<IResult> GetSnapshot(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/snapshots/{name}")] HttpRequest request,
        string campaignId, string name, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        var format = request.Query["format"].ToString() is { Length: > 0 } f ? f : null;
        var csv = format == "csv";
        if (format is not (null or "json" or "csv")) return Problems.Field(400, "request.invalid", "format", "format.invalid");
        if (csv && name != SnapshotStore.FinalJson) return Problems.Field(400, "request.invalid", "format", "format.csv_final_only");
        if (name is not SnapshotStore.FinalJson && !ProgressStamp().IsMatch(name)) return Problems.NotFound("snapshot.not_found", name);
        var blob = await snapshots.OpenAsync(campaignId, csv ? SnapshotStore.FinalCsv : name, ct);
        if (blob is null) return name == SnapshotStore.FinalJson ? Problems.NotFound("snapshot.final_not_ready") : Problems.NotFound("snapshot.not_found", name);
        return csv
            ? TypedResults.Stream(blob.Value.Content, "text/csv; charset=utf-8", $"{campaignId}-ledger.csv")
            : TypedResults.Stream(blob.Value.Content, "application/json; charset=utf-8");
    }

    [Function(nameof(ImportOfflinePledges))]
    [EndpointSummary("Import gifts received offline; the same file again adds nothing")]
    [Body<List<OfflinePledgeRow>>("The gifts, one row each, as JSON or as CSV with a header row naming the columns.")]
    [Body<string>("The gifts, one row each, as JSON or as CSV with a header row naming the columns.", ContentType = "text/csv")]
    [Answer<OfflineImport.Result>(200, "Imported; or, alreadyImported, the same file was imported before and nothing was added.")]
    [Problem(400, "Rows that are invalid, each named with its row number; the file was not imported.", NamesFields = true)]
    [Problem(404, "No such campaign.")]
    [Problem(409, "The campaign is closed.")]
    [Problem(413, "The file is over 1 MiB.")]
    [Problem(415, "The body is neither text/csv nor application/json (Content-Type named).", NamesFields = true)]
    public async Task<IResult> ImportOfflinePledges(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "organiser/campaigns/{campaignId}/offline-pledges")] HttpRequest request,
        string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (Problems.UnlessBodyIs(request, "text/csv", "application/json") is { } unsupported) return unsupported;
        if (request.ContentLength > OfflineImport.MaxBytes) return Problems.Of(413, "body.too_large", OfflineImport.MaxBytes);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > OfflineImport.MaxBytes) return Problems.Of(413, "body.too_large", OfflineImport.MaxBytes);
        var campaign = await campaigns.GetAsync(campaignId, ct, fresh: true);
        if (campaign is null) return Problems.CampaignNotFound(campaignId);
        if (campaign.ClosedAt is not null) return Problems.Of(409, "campaign.closed_for_gifts");

        var isCsv = request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true;
        var errors = new ValidationErrors();
        var pledges = import.Parse(campaign, buffer.ToArray(), isCsv, errors);
        if (pledges is null) return Problems.Invalid(errors, "offlineFile.invalid");
        return TypedResults.Ok(await import.ImportAsync(campaignId, pledges, ct));
    }

    /// <summary>The donor list for thank-you letters and receipts (JSON, or ?format=csv for Excel). Full names are personal
    /// data: X-Organiser-Name must say who downloads, and every download is logged before the list is answered.</summary>
    [Function(nameof(GetDonors))]
    [EndpointSummary("The donor list for thank-you letters and receipts: full display names, never contacts; every download logged")]
    [Query<string>("format", "json (the default), or csv for Excel.", Allowed = ["json", "csv"])]
    [Header(OrganiserNameHeader, "Who downloads (1–100 characters; percent-encoded UTF-8 for non-ASCII names).", Required = true)]
    [Answer<DonorListView>(200, "The gifts with their donors' names as given.")]
    [Answer<string>(200, "format=csv: the list for Excel (UTF-8 with BOM, Chinese headers).", ContentType = "text/csv")]
    [Problem(400, "format is neither json nor csv, or X-Organiser-Name is missing.", NamesFields = true)]
    [Problem(404, "No such campaign.")]
    public async Task<IResult> GetDonors(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/donors")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        var format = request.Query["format"].ToString() is { Length: > 0 } f ? f : "json";
        if (format is not ("json" or "csv")) return Problems.Field(400, "request.invalid", "format", "format.invalid");
        if (OrganiserName(request) is not { } by) return Problems.Field(400, "request.invalid", OrganiserNameHeader, "organiserName.required");
        var campaign = await campaigns.GetAsync(campaignId, ct);
        if (campaign is null) return Problems.CampaignNotFound(campaignId);

        var gifts = await donors.ReadAsync(campaign, ct);
        await donors.RecordDownloadAsync(campaignId, by, format, gifts.Count, ClientAddress.Of(request.HttpContext), ct);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return format == "csv"
            ? TypedResults.File(DonorList.Csv(campaign, gifts), "text/csv; charset=utf-8", $"{campaignId}-donors.csv")
            : TypedResults.Ok(new DonorListView(campaignId, gifts.Select(g => DonorView.Of(campaign, g)).ToList()));
    }

    [Function(nameof(ListDonorDownloads))]
    [EndpointSummary("Who downloaded the donor list, when, in which format, how many rows, from where")]
    [Answer<DonorDownloadsView>(200, "Every download of the list.")]
    [Problem(404, "No such campaign.")]
    public async Task<IResult> ListDonorDownloads(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/donors/downloads")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (await campaigns.GetAsync(campaignId, ct) is null) return Problems.CampaignNotFound(campaignId);
        return TypedResults.Ok(new DonorDownloadsView(await donors.DownloadsAsync(campaignId, ct)));
    }

    /// <summary>Whether the key is right, and nothing else: the console checks a key with it before using it.</summary>
    [Function(nameof(CheckOrganiserKey))]
    [EndpointSummary("Check the organiser key: 204 when it is right")]
    [Answer(204, "The key is right.")]
    public IResult CheckOrganiserKey([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/key")] HttpRequest request) =>
        organiserKey.Reject(request) ?? (IResult)TypedResults.NoContent();

    public const string OrganiserNameHeader = "X-Organiser-Name";

    /// <summary>Who downloads, as the organiser says: 1–100 characters, no control characters. A header carries only
    /// ASCII safely, so a Chinese name comes percent-encoded UTF-8 (encodeURIComponent) and is decoded here.</summary>
    private static string? OrganiserName(HttpRequest request)
    {
        var raw = request.Headers[OrganiserNameHeader].ToString();
        string name;
        try { name = Uri.UnescapeDataString(raw).Normalize().Trim(); }
        catch (UriFormatException) { return null; }
        return name.Length is > 0 and <= 100 && !name.Any(char.IsControl) ? name : null;
    }
}
