using GivingDay.Json;
using GivingDay.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GivingDay.Tests.Ledger;

/// <summary>The public ledger routes over a <see cref="LedgerReader"/>, served on a loopback port, so the command-line
/// verifier can be run against them before the app maps them. Each route is one reader call; this is the whole
/// mapping the host needs (outcome → 200 / 404 / 400).</summary>
public sealed class LedgerRouteHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    public Uri BaseAddress { get; }

    private LedgerRouteHost(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    public static async Task<LedgerRouteHost> StartAsync(LedgerInstance ledger)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var reader = ledger.Reader;
        var api = app.MapGroup("/api");
        api.MapGet(LedgerRoutes.Checkpoint, async (string campaignId, long? treeSize, CancellationToken ct) =>
            Answer(await reader.CheckpointAsync(campaignId, treeSize, ct)));
        api.MapGet(LedgerRoutes.Entries, async (string campaignId, long? start, long? end, CancellationToken ct) =>
            Answer(await reader.EntriesAsync(campaignId, start ?? 0, end, ct)));
        api.MapGet(LedgerRoutes.Proof, async (string campaignId, string pledgeId, long? treeSize, CancellationToken ct) =>
            Answer(await reader.InclusionProofAsync(campaignId, pledgeId, treeSize, ct)));
        api.MapGet(LedgerRoutes.Consistency, async (string campaignId, long first, long second, CancellationToken ct) =>
            Answer(await reader.ConsistencyProofAsync(campaignId, first, second, ct)));
        api.MapGet(LedgerRoutes.PublicKey, async (CancellationToken ct) => Results.Json(await ledger.Signer.PublicKeyAsync(ct), GivingDayJson.Options));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LedgerRouteHost(app, new Uri(address));
    }

    private static IResult Answer<T>(LedgerResult<T> result) => result.Outcome switch
    {
        LedgerOutcome.Found => Results.Json(result.Value, GivingDayJson.Options),
        LedgerOutcome.NotFound => Results.Problem(result.Detail, statusCode: 404),
        _ => Results.Problem(result.Detail, statusCode: 400),
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
