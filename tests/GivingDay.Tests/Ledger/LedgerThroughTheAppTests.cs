using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Ledger;

/// <summary>The public ledger as the app serves it: the snapshot timer sequences counted gifts and publishes signed
/// checkpoints, a pledge's status points at its proof, the command-line verifier accepts the routes, and the final
/// snapshot carries the final checkpoint over exactly its gifts.</summary>
public class LedgerThroughTheAppTests
{
    [Fact]
    public async Task Counted_gifts_are_sequenced_by_the_timer_verified_from_the_routes_and_the_final_snapshot_carries_the_final_checkpoint()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["SnapshotSchedule"] = "*/1 * * * * *" });
        var campaign = TestCampaigns.NewId("ledger");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 20_000)]))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/checkpoint")).StatusCode);

        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var response = await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 1000 + i, donor = new { name = "孙八", contact = $"1360000{i:0000}" } });
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!);
        }
        var checkpoint = await AppInstance.EventuallyAsync(async () => await app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/checkpoint"),
            r => r.IsSuccessStatusCode && JsonDocument.Parse(r.Content.ReadAsStringAsync().Result).RootElement.GetProperty("treeSize").GetInt64() == 12,
            TimeSpan.FromSeconds(90), "a checkpoint over the 12 gifts");
        Assert.NotNull(checkpoint.Headers.ETag);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/checkpoint?treeSize=x")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync($"/api/campaigns/{campaign}/ledger/consistency?first=5&second=999")).StatusCode);

        // A donor's status leads to the proof.
        var status = await app.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{ids[7]}");
        var proofUrl = status.GetProperty("ledger").GetProperty("proofUrl").GetString()!;
        var proof = await app.GetJsonAsync(proofUrl);
        Assert.Equal(status.GetProperty("ledger").GetProperty("leafIndex").GetInt64(), proof.GetProperty("leafIndex").GetInt64());

        // Anyone can check it all with the command-line verifier.
        var state = Path.Combine(Directory.CreateTempSubdirectory("givingday-verify-").FullName, "seen.json");
        var verdict = await VerifierTests.VerifyAsync(app.BaseAddress, campaign, state, ids[7]);
        Assert.True(verdict.Exit == 0, verdict.Output);
        Assert.Contains("VERIFIED", verdict.Output);

        Assert.Equal(HttpStatusCode.Accepted, (await app.Http.SendAsync(app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close"))).StatusCode);
        var final = await AppInstance.EventuallyAsync(() => app.Http.SendAsync(app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{campaign}/snapshots/final")),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the final snapshot");
        var summary = await final.Content.ReadFromJsonAsync<JsonElement>();
        var finalCheckpoint = summary.GetProperty("checkpoint");
        Assert.Equal(summary.GetProperty("pledges").GetInt64(), finalCheckpoint.GetProperty("treeSize").GetInt64());
        var latest = await app.GetJsonAsync($"/api/campaigns/{campaign}/ledger/checkpoint?treeSize=12");
        Assert.Equal(latest.GetProperty("rootHash").GetString(), finalCheckpoint.GetProperty("rootHash").GetString());
    }
}
