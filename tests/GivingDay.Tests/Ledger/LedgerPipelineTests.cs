using System.Text.Json;
using GivingDay.Ledger;
using GivingDay.Tests.Infrastructure;
using static GivingDay.Tests.Ledger.LedgerTestKit;
using static GivingDay.Tests.Pipeline.PipelineTestKit;

namespace GivingDay.Tests.Ledger;

/// <summary>The ledger over real pledges: posted through two app instances, counted by their listeners (with a
/// matching fund), while two ledger instances tick over and over as timers on two machines would.</summary>
public class LedgerPipelineTests
{
    [Fact]
    public async Task Every_accepted_pledge_is_sequenced_exactly_once_while_two_instances_tick_and_every_proof_verifies()
    {
        var prefix = Azurite.UniquePrefix();
        await using var appA = await AppInstance.StartAsync(prefix);
        await using var appB = await AppInstance.StartAsync(prefix);
        var campaign = TestCampaigns.NewId("ledger");
        (await appA.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 200_000, perPledgeCap: 3000)]))).EnsureSuccessStatusCode();

        var tickers = new[] { new LedgerInstance(prefix), new LedgerInstance(prefix) };
        var checkpoints = new List<Checkpoint>();
        using var stop = new CancellationTokenSource();
        var ticking = tickers.Select(l => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await l.Tick.RunAsync(campaign, CancellationToken.None) is { } c) lock (checkpoints) checkpoints.Add(c);
                await Task.Delay(100); // pacing, as a timer would; nothing is proven by it
            }
        })).ToList();

        var sent = Crowd(240, seed: 12);
        var ids = (await Task.WhenAll(PostAllAsync(appA, campaign, sent.Take(120).ToList()), PostAllAsync(appB, campaign, sent.Skip(120).ToList())))
            .SelectMany(x => x).ToList();
        var board = await AppInstance.EventuallyAsync(() => appA.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            b => b.GetProperty("totals").GetProperty("pledges").GetInt64() >= sent.Count, what: "all pledges counted");
        stop.Cancel();
        await Task.WhenAll(ticking);
        var final = (await tickers[0].Tick.RunAsync(campaign, default, fullSweep: true))!;
        checkpoints.Add(final);

        // Exactly the accepted pledges, once each, and the figures of the totals.
        Assert.Equal(ids.Count, final.TreeSize);
        var entries = (await StoredEntriesAsync(tickers[1], campaign)).Select(e => LedgerEntry.Parse(e)).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), entries.Select(e => e.PledgeId).Order(StringComparer.Ordinal));
        var totals = board.GetProperty("totals");
        Assert.Equal(totals.GetProperty("raised").GetInt64(), entries.Sum(e => e.Amount.Fen));
        Assert.Equal(totals.GetProperty("matched").GetInt64(), entries.Sum(e => e.Matched.Fen));
        Assert.Contains(entries, e => e.FundId == "aixin" && e.Matched.Fen > 0);
        foreach (var e in entries.Take(15))
        {
            var status = await appB.GetJsonAsync($"/api/campaigns/{campaign}/pledges/{e.PledgeId}");
            Assert.Equal(status.GetProperty("amount").GetInt64(), e.Amount.Fen);
            Assert.Equal(status.GetProperty("matched").GetInt64(), e.Matched.Fen);
            Assert.Equal(status.GetProperty("fundId").ValueKind == JsonValueKind.Null ? null : status.GetProperty("fundId").GetString(), e.FundId);
        }

        // Every checkpoint is signed and agrees with the entries; every inclusion proof verifies against every later one;
        // each checkpoint is consistent with the next.
        var key = await tickers[0].Signer.PublicKeyAsync(default);
        var reference = Reference(entries.Select(e => e.CanonicalJson()));
        var seen = checkpoints.DistinctBy(c => c.TreeSize).OrderBy(c => c.TreeSize).ToList();
        Assert.NotEmpty(seen);
        foreach (var c in seen)
        {
            Assert.True(SignatureVerifies(c, key));
            Assert.Equal(Convert.ToBase64String(reference.Root((int)c.TreeSize)), c.RootHash);
        }
        var reader = new LedgerInstance(prefix).Reader;
        for (var i = 0; i < entries.Count; i++)
            foreach (var c in seen.Where(c => c.TreeSize > i))
            {
                var proof = (await reader.InclusionProofAsync(campaign, entries[i].PledgeId, c.TreeSize, default)).Value!;
                Assert.True(MerkleTree.VerifyInclusion(entries[i].LeafHash(), i, c.TreeSize, Hashes(proof.AuditPath), Convert.FromBase64String(c.RootHash)));
            }
        foreach (var (a, b) in seen.Zip(seen.Skip(1)))
        {
            var proof = (await reader.ConsistencyProofAsync(campaign, a.TreeSize, b.TreeSize, default)).Value!;
            Assert.True(MerkleTree.VerifyConsistency(a.TreeSize, b.TreeSize, Convert.FromBase64String(a.RootHash), Convert.FromBase64String(b.RootHash), Hashes(proof.ConsistencyPath)));
        }
    }
}
