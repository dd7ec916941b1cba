using System.Globalization;
using GivingDay.Json;
using GivingDay.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions.Http;

/// <summary>The public ledger (docs/ledger.md): checkpoints, entries, inclusion and consistency proofs, the public key.
/// Anonymous; 404 until something is sequenced, 400 for sizes out of range; a checkpoint at a given size never changes,
/// so it is cached for good, the latest for a few seconds.</summary>
public sealed class LedgerFunctions(LedgerReader reader, CheckpointSigner signer)
{
    [Function(nameof(GetLedgerCheckpoint))]
    [EndpointSummary("A signed checkpoint of the campaign's public ledger: the latest, or the one at a tree size")]
    [Query<long>("treeSize", "The checkpoint at this tree size (cached for good); the latest without it.")]
    [Header("If-None-Match", "The ETag of a copy already held: 304 while it is current.")]
    [Answer<Checkpoint>(200, "The checkpoint.", Headers = ["ETag", "Cache-Control"])]
    [Answer(304, "The copy named by If-None-Match is current.", Headers = ["ETag"])]
    [Problem(400, "A size is not a whole number (named), or is outside the published ledger.")]
    [Problem(404, "Not sequenced yet: no checkpoint (at that size), or no such pledge in the ledger.")]
    public async Task<IResult> GetLedgerCheckpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LedgerRoutes.Checkpoint)] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (!Size(request, "treeSize", out var treeSize, out var bad)) return bad!;
        var result = await reader.CheckpointAsync(campaignId, treeSize, ct);
        if (result.Outcome != LedgerOutcome.Found) return Answer(result);
        var checkpoint = result.Value!;
        request.HttpContext.Response.Headers.CacheControl = treeSize is null ? LedgerRoutes.LatestCacheControl : LedgerRoutes.ImmutableCacheControl;
        if (EntityTags.NotModified(request, checkpoint.ETag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return Json(checkpoint);
    }

    [Function(nameof(GetLedgerEntries))]
    [EndpointSummary("A page of ledger entries [start, end)")]
    [Query<long>("start", "The first index (default 0).")]
    [Query<long>("end", "The index after the last (default: a full page).")]
    [Answer<LedgerEntriesPage>(200, "The entries; next is where the next page starts.")]
    [Problem(400, "A size is not a whole number (named), or is outside the published ledger.")]
    [Problem(404, "Not sequenced yet: no checkpoint (at that size), or no such pledge in the ledger.")]
    public async Task<IResult> GetLedgerEntries(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LedgerRoutes.Entries)] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (!Size(request, "start", out var start, out var bad) || !Size(request, "end", out var end, out bad)) return bad!;
        return Answer(await reader.EntriesAsync(campaignId, start ?? 0, end, ct));
    }

    [Function(nameof(GetLedgerProof))]
    [EndpointSummary("A pledge's inclusion proof (RFC 6962 audit path)")]
    [Query<string>("pledgeId", "The pledge.", Required = true)]
    [Query<long>("treeSize", "Against the checkpoint of this tree size (default the latest).")]
    [Answer<InclusionProofView>(200, "The proof.")]
    [Problem(400, "A size is not a whole number (named), or is outside the published ledger.")]
    [Problem(404, "Not sequenced yet: no checkpoint (at that size), or no such pledge in the ledger.")]
    public async Task<IResult> GetLedgerProof(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LedgerRoutes.Proof)] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (!Size(request, "treeSize", out var treeSize, out var bad)) return bad!;
        if (request.Query["pledgeId"].ToString() is not { Length: > 0 } pledgeId) return Problems.Field(400, "request.invalid", "pledgeId", "pledgeId.required");
        return Answer(await reader.InclusionProofAsync(campaignId, pledgeId, treeSize, ct));
    }

    [Function(nameof(GetLedgerConsistency))]
    [EndpointSummary("A consistency proof between two tree sizes (RFC 6962)")]
    [Query<long>("first", "The smaller tree size.", Required = true)]
    [Query<long>("second", "The larger tree size.", Required = true)]
    [Answer<ConsistencyProofView>(200, "The proof.")]
    [Problem(400, "A size is not a whole number (named), or is outside the published ledger.")]
    [Problem(404, "Not sequenced yet: no checkpoint (at that size), or no such pledge in the ledger.")]
    public async Task<IResult> GetLedgerConsistency(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LedgerRoutes.Consistency)] HttpRequest request, string campaignId, CancellationToken ct)
    {
        if (!Size(request, "first", out var first, out var bad) || !Size(request, "second", out var second, out bad)) return bad!;
        if (first is null) return Problems.Field(400, "request.invalid", "first", "first.required");
        if (second is null) return Problems.Field(400, "request.invalid", "second", "second.required");
        return Answer(await reader.ConsistencyProofAsync(campaignId, first.Value, second.Value, ct));
    }

    [Function(nameof(GetLedgerPublicKey))]
    [EndpointSummary("The public key that checkpoints are signed with")]
    [Answer<LedgerPublicKey>(200, "The key.")]
    public async Task<IResult> GetLedgerPublicKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LedgerRoutes.PublicKey)] HttpRequest request, CancellationToken ct) =>
        Json(await signer.PublicKeyAsync(ct));

    /// <summary>An optional non-negative whole number from the query; a 400 naming the parameter otherwise.</summary>
    private static bool Size(HttpRequest request, string name, out long? value, out IResult? bad)
    {
        value = null; bad = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0) return true;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) { value = n; return true; }
        bad = Problems.Field(400, "request.invalid", name, $"{name}.not_count");
        return false;
    }

    private static IResult Answer<T>(LedgerResult<T> result) => result.Outcome switch
    {
        LedgerOutcome.Found => Json(result.Value!),
        LedgerOutcome.NotFound => Problems.NotFound("ledger.not_found", result.Detail),
        _ => Problems.Of(400, "ledger.out_of_range", result.Detail),
    };

    private static JsonHttpResult<T> Json<T>(T value) => TypedResults.Json(value, GivingDayJson.Options);
}
