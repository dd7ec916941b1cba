using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Resilience;
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
}
