using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Functions.Functions;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Snapshots;
using GivingDay.Totals;
using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GivingDay.Functions.Api;

/// <summary>The organiser routes; every one needs the organiser key.</summary>
public static class OrganiserApi
{
    public static IEndpointRouteBuilder MapOrganiserApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/organiser").AddEndpointFilter<OrganiserKey>();
        api.MapPut("/campaigns/{campaignId}", PutCampaign).WithName("PutCampaign");
        api.MapPost("/campaigns/{campaignId}/close", Close).WithName("CloseCampaign");
        api.MapGet("/campaigns/{campaignId}/snapshots", ListSnapshots).WithName("ListSnapshots");
        api.MapGet("/campaigns/{campaignId}/snapshots/{name}", GetSnapshot).WithName("GetSnapshot");
        api.MapPost("/campaigns/{campaignId}/offline-pledges", ImportOffline).WithName("ImportOfflinePledges");
        api.MapGet("/metrics", (StorageCallCounter calls) => TypedResults.Ok(new { storageCalls = calls.Calls })).WithName("GetMetrics");
        return routes;
    }

    private static async Task<Results<Ok<CampaignView>, Created<CampaignView>, ProblemHttpResult>> PutCampaign(
        string campaignId, HttpRequest request, CampaignEditor editor, LiveTotals totals, TimeProvider clock, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        JsonElement body;
        try { body = (await JsonDocument.ParseAsync(request.Body, cancellationToken: ct)).RootElement; }
        catch (JsonException) { errors.Add("body", "must be a JSON campaign definition"); return Problems.Invalid(errors); }
        var definition = CampaignDefinition.Parse(campaignId, body, errors);
        if (definition is null) return Problems.Invalid(errors, "The campaign definition is invalid.");

        switch (await editor.PutAsync(definition, ct))
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

    /// <summary>Stops intake at once (intake re-reads the campaign before every commit), then the final snapshot
    /// follows through the campaign-close queue. Closing again is harmless.</summary>
    private static async Task<Results<Accepted<object>, ProblemHttpResult>> Close(string campaignId, HttpContext http, CancellationToken ct)
    {
        var closed = await SnapshotProgress.CloseAsync(http.RequestServices, campaignId, ct);
        if (closed is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        return TypedResults.Accepted($"/api/organiser/campaigns/{campaignId}/snapshots/final",
            (object)new { campaignId, status = closed.FinalizedAt is null ? "closing" : "finalized", closedAt = closed.ClosedAt });
    }

    private static async Task<Results<Ok<IReadOnlyList<SnapshotInfo>>, ProblemHttpResult>> ListSnapshots(
        string campaignId, CampaignStore campaigns, SnapshotStore snapshots, CancellationToken ct)
    {
        if (await campaigns.GetAsync(campaignId, ct) is null) return Problems.NotFound($"No campaign '{campaignId}'.");
        return TypedResults.Ok(await snapshots.ListAsync(campaignId, ct));
    }

    /// <summary>"final" (JSON, or the ledger with ?format=csv) or a progress snapshot by its stamp, streamed from Blob Storage.</summary>
    private static async Task<IResult> GetSnapshot(string campaignId, string name, string? format, SnapshotStore snapshots, CancellationToken ct)
    {
        var csv = format == "csv";
        if (format is not (null or "json" or "csv")) return Problems.Field(400, "Invalid request", "format", "must be json or csv");
        if (csv && name != SnapshotStore.FinalJson) return Problems.Field(400, "Invalid request", "format", "csv is the final ledger: use snapshots/final?format=csv");
        if (name is not SnapshotStore.FinalJson && !System.Text.RegularExpressions.Regex.IsMatch(name, "^[0-9]{8}T[0-9]{6}Z$"))
            return Problems.NotFound($"No snapshot '{name}'.");
        var blob = await snapshots.OpenAsync(campaignId, csv ? SnapshotStore.FinalCsv : name, ct);
        if (blob is null) return Problems.NotFound(name == SnapshotStore.FinalJson ? "The final snapshot is written once the campaign is closed and counted." : $"No snapshot '{name}'.");
        return csv
            ? TypedResults.Stream(blob.Value.Content, "text/csv; charset=utf-8", $"{campaignId}-ledger.csv")
            : TypedResults.Stream(blob.Value.Content, "application/json; charset=utf-8");
    }

    private static async Task<Results<Ok<OfflineImport.Result>, ProblemHttpResult>> ImportOffline(
        string campaignId, HttpRequest request, CampaignStore campaigns, OfflineImport import, TimeProvider clock, CancellationToken ct)
    {
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
