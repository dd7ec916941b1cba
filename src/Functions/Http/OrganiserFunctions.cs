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
public sealed partial class OrganiserFunctions(
    OrganiserKey organiserKey, CampaignStore campaigns, CampaignEditor editor, CampaignClosing closing, LiveTotals totals,
    SnapshotStore snapshots, OfflineImport import, TimeProvider clock)
{
    [Function(nameof(PutCampaign))]
    public async Task<IResult> PutCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "organiser/campaigns/{campaignId}")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (Problems.UnlessBodyIs(request, "application/json") is { } unsupported) return unsupported;
        var errors = new ValidationErrors();
        JsonElement body;
        try { using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct); body = document.RootElement.Clone(); }
        catch (JsonException) { errors.Add("body", "must be a JSON campaign definition"); return Problems.Invalid(errors); }
        var definition = CampaignDefinition.Parse(campaignId, body, errors);
        if (definition is null) return Problems.Invalid(errors, "The campaign definition is invalid.");

        EditOutcome outcome;
        try { outcome = await editor.PutAsync(definition, ct); }
        catch (ConcurrentCampaignChangeException) { return ChangedConcurrently(); }
        switch (outcome)
        {
            case EditOutcome.Saved saved:
                var view = CampaignView.Of(saved.Campaign, (await totals.ReadAsync(campaignId)).State, clock.GetUtcNow());
                return saved.Created ? TypedResults.Created($"/api/campaigns/{campaignId}", view) : TypedResults.Ok(view);
            case EditOutcome.Invalid invalid:
                return Problems.Invalid(invalid.Errors, "The campaign definition conflicts with what has been matched.");
            default:
                return Problems.Of(409, "Campaign closed", "A closed campaign cannot be changed.");
        }
    }

    /// <summary>Stops intake at once; the final snapshot follows through the campaign-close queue. Closing again is harmless.</summary>
    [Function(nameof(CloseCampaign))]
    public async Task<IResult> CloseCampaign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "organiser/campaigns/{campaignId}/close")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        Campaign? closed;
        try { closed = await closing.CloseAsync(campaignId, ct); }
        catch (ConcurrentCampaignChangeException) { return ChangedConcurrently(); }
        if (closed is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        return TypedResults.Accepted($"/api/organiser/campaigns/{campaignId}/snapshots/final",
            new { campaignId, status = closed.FinalizedAt is null ? "closing" : "finalized", closedAt = closed.ClosedAt });
    }

    private static ProblemHttpResult ChangedConcurrently() =>
        Problems.Of(409, "Changed concurrently", "Someone else changed this campaign at the same moment; read it again and retry.");

    [Function(nameof(ListSnapshots))]
    public async Task<IResult> ListSnapshots(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/snapshots")] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (await campaigns.GetAsync(campaignId, ct) is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        return TypedResults.Ok(await snapshots.ListAsync(campaignId, ct));
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z$")]
    private static partial Regex ProgressStamp();

    /// <summary>"final" (JSON, or the ledger with ?format=csv) or a progress snapshot by its stamp, streamed from Blob Storage.</summary>
    [Function(nameof(GetSnapshot))]
    public async Task<IResult> GetSnapshot(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organiser/campaigns/{campaignId}/snapshots/{name}")] HttpRequest request,
        string campaignId, string name, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        var format = request.Query["format"].ToString() is { Length: > 0 } f ? f : null;
        var csv = format == "csv";
        if (format is not (null or "json" or "csv")) return Problems.Field(400, "Invalid request", "format", "must be json or csv");
        if (csv && name != SnapshotStore.FinalJson) return Problems.Field(400, "Invalid request", "format", "csv is the final ledger: use snapshots/final?format=csv");
        if (name is not SnapshotStore.FinalJson && !ProgressStamp().IsMatch(name)) return Problems.NotFound($"No snapshot '{name}'.");
        var blob = await snapshots.OpenAsync(campaignId, csv ? SnapshotStore.FinalCsv : name, ct);
        if (blob is null) return Problems.NotFound(name == SnapshotStore.FinalJson ? "The final snapshot is written once the campaign is closed and counted." : $"No snapshot '{name}'.");
        return csv
            ? TypedResults.Stream(blob.Value.Content, "text/csv; charset=utf-8", $"{campaignId}-ledger.csv")
            : TypedResults.Stream(blob.Value.Content, "application/json; charset=utf-8");
    }

    [Function(nameof(ImportOfflinePledges))]
    public async Task<IResult> ImportOfflinePledges(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "organiser/campaigns/{campaignId}/offline-pledges")] HttpRequest request,
        string campaignId, CancellationToken ct)
    {
        if (organiserKey.Reject(request) is { } unauthorized) return unauthorized;
        if (Problems.UnlessBodyIs(request, "text/csv", "application/json") is { } unsupported) return unsupported;
        if (request.ContentLength > OfflineImport.MaxBytes) return Problems.Of(413, "Body too large", $"An import is at most {OfflineImport.MaxBytes} bytes.");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > OfflineImport.MaxBytes) return Problems.Of(413, "Body too large", $"An import is at most {OfflineImport.MaxBytes} bytes.");
        var campaign = await campaigns.GetAsync(campaignId, ct, fresh: true);
        if (campaign is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        if (campaign.ClosedAt is not null) return Problems.Of(409, "Campaign closed", "A closed campaign takes no more gifts.");

        var isCsv = request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true;
        var errors = new ValidationErrors();
        var pledges = import.Parse(campaign, buffer.ToArray(), isCsv, errors);
        if (pledges is null) return Problems.Invalid(errors, "The file was not imported: fix the rows named and send it again.");
        return TypedResults.Ok(await import.ImportAsync(campaignId, pledges, ct));
    }
}
