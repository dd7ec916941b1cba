using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GivingDay.Campaigns;
using GivingDay.Matching;

namespace GivingDay.Tests.Matching;

using GivingDay.Amounts;

/// <summary>A chunk: funds with small pools, what storage knew about each donor before it, and pledges in processing
/// order (a few donors, bursts of gifts seconds apart, some without contact, some redelivered).</summary>
public sealed record Chunk(IReadOnlyList<MatchingFund> Funds, IReadOnlyDictionary<string, Money> RemainingBefore, IReadOnlyDictionary<string, DonorHistory> Known, IReadOnlyList<PledgeToMatch> Pledges)
{
    public DonorHistory Lookup(string donor) => Known.TryGetValue(donor, out var h) ? h : DonorHistory.None;

    public override string ToString() =>
        $"funds: {string.Join("; ", Funds.Select(f => $"{f.Id} ratio {f.Ratio} remaining {RemainingBefore[f.Id]} perPledge {f.PerPledgeCap?.ToString() ?? "-"} perDonor {f.PerDonorCap?.ToString() ?? "-"} [{f.StartsAt:O},{f.EndsAt:O}) [{string.Join(",", f.ProjectIds)}]"))}\n" +
        $"known: {string.Join("; ", Known.Select(k => $"{k.Key}: {string.Join(",", k.Value.MatchedByFund.Select(m => $"{m.Key}={m.Value}"))} at {string.Join(",", k.Value.AcceptedAtByPledge.Values.Select(t => t.ToString("HH:mm:ss.fff")))}"))}\n" +
        $"pledges:\n  {string.Join("\n  ", Pledges)}";
}

[Properties(Replay = "(2061188231,1176412043)", MaxTest = 300)]
public class MatchingLedgerProperties
{
    private static readonly string?[] Donors = ["d1", "d2", "d3", null];

    private static Gen<Chunk> ChunkGen =>
        from funds in MatchingGen.Funds(1, 3).Select(fs => (IReadOnlyList<MatchingFund>)fs.Select(f => f with { Pool = new Money(f.Pool.Fen / 8) }).ToList())
        from remaining in Gen.CollectToList(funds.Select(f => MatchingGen.Long(0, f.Pool.Fen)))
        from known in Gen.CollectToList(Donors.OfType<string>().Select(d =>
            from matched in Gen.CollectToList(funds.Select(f => f.PerDonorCap is { } cap ? MatchingGen.Long(0, cap.Fen) : Gen.Choose(0, 50_000).Select(v => (long)v)))
            from priorTimes in Gen.ListOf(MatchingGen.TimeInCampaign, 3)
            select (d, new DonorHistory(
                funds.Select((f, i) => (f.Id, new Money(matched[i]))).ToDictionary(x => x.Id, x => x.Item2),
                priorTimes.Select((t, i) => ($"{d}-before-{i}", t)).ToDictionary(x => x.Item1, x => x.t)))))
        from start in MatchingGen.TimeInCampaign
        from n in Gen.Choose(0, 60)
        from steps in Gen.ListOf(Gen.Frequency((4, Gen.Choose(0, 3_000)), (3, Gen.Choose(0, 20_000)), (1, Gen.Choose(0, 3_600_000))), n)
        from donors in Gen.ListOf(Gen.Elements(Donors), n)
        from amounts in Gen.ListOf(Gen.Choose(1, 60_000).Select(v => new Money(v)), n)
        from projects in Gen.ListOf(Gen.Elements(MatchingGen.Projects), n)
        from redeliver in Gen.ListOf(Gen.Frequency((9, Gen.Constant(-1)), (1, Gen.Choose(0, Math.Max(0, n - 1)))), n)
        let times = steps.Select((_, i) => start.AddMilliseconds(steps.Take(i + 1).Sum())).ToList()
        let fresh = Enumerable.Range(0, n).Select(i => new PledgeToMatch($"p{i}", projects[i], amounts[i], donors[i], times[i])).ToList()
        // A redelivered pledge comes again later in the chunk, unchanged.
        let pledges = fresh.Select((p, i) => redeliver[i] >= 0 && redeliver[i] < i ? fresh[redeliver[i]] : p).ToList()
        select new Chunk(funds, funds.Select((f, i) => (f.Id, new Money(remaining[i]))).ToDictionary(x => x.Id, x => x.Item2),
            known.ToDictionary(k => k.d, k => k.Item2), pledges);

    private static (MatchingLedger Ledger, List<MatchDecision> Decisions) Run(Chunk chunk)
    {
        var ledger = new MatchingLedger(chunk.Funds, chunk.RemainingBefore, chunk.Lookup);
        return (ledger, chunk.Pledges.Select(ledger.Apply).ToList());
    }

    /// <summary>The distinct pledges with their first decision: a redelivery must not count twice.</summary>
    private static IEnumerable<(PledgeToMatch Pledge, MatchDecision Decision)> Distinct(Chunk chunk, List<MatchDecision> decisions) =>
        chunk.Pledges.Zip(decisions).DistinctBy(x => x.First.PledgeId);

    [Property]
    public Property Matches_per_fund_add_up_to_what_left_the_pool_and_no_pool_goes_negative() =>
        Prop.ForAll(ChunkGen.ToArbitrary(), chunk =>
        {
            var (ledger, decisions) = Run(chunk);
            foreach (var fund in chunk.Funds)
            {
                var matched = Distinct(chunk, decisions).Where(x => x.Decision.FundId == fund.Id).Sum(x => x.Decision.Matched);
                Assert.Equal(chunk.RemainingBefore[fund.Id] - ledger.Remaining[fund.Id], matched);
                Assert.True(ledger.Remaining[fund.Id] >= Money.Zero);
            }
        });

    [Property]
    public Property Each_donor_stays_within_the_per_donor_cap_and_their_totals_add_up() =>
        Prop.ForAll(ChunkGen.ToArbitrary(), chunk =>
        {
            var (ledger, decisions) = Run(chunk);
            foreach (var (donor, byFund) in ledger.DonorMatched)
            foreach (var fund in chunk.Funds)
            {
                var total = byFund.TryGetValue(fund.Id, out var m) ? m : Money.Zero;
                var inChunk = Distinct(chunk, decisions).Where(x => x.Pledge.DonorHash == donor && x.Decision.FundId == fund.Id).Sum(x => x.Decision.Matched);
                Assert.Equal(chunk.Lookup(donor).MatchedBy(fund.Id) + inChunk, total);
                if (fund.PerDonorCap is { } cap) Assert.True(total <= cap, $"{donor} has {total} from {fund.Id}, cap {cap}");
            }
            Assert.Equal(chunk.Pledges.Select(p => p.DonorHash).OfType<string>().Distinct().Order(), ledger.DonorMatched.Keys.Order());
        });

    [Property]
    public Property Each_decision_is_the_rule_applied_to_everything_before_it_in_the_chunk() =>
        Prop.ForAll(ChunkGen.ToArbitrary(), chunk =>
        {
            var (_, decisions) = Run(chunk);
            // The running state kept by hand: pools, donor totals, and the donor's earlier gifts, velocity included.
            var remaining = chunk.RemainingBefore.ToDictionary();
            var matched = chunk.Known.ToDictionary(k => k.Key, k => k.Value.MatchedByFund.ToDictionary());
            var accepted = chunk.Known.ToDictionary(k => k.Key, k => k.Value.AcceptedAtByPledge.ToDictionary());
            var first = new Dictionary<string, MatchDecision>();
            foreach (var (pledge, actual) in chunk.Pledges.Zip(decisions))
            {
                if (first.TryGetValue(pledge.PledgeId, out var earlier)) { Assert.Equal(earlier, actual); continue; }
                var history = pledge.DonorHash is { } d
                    ? new DonorHistory(matched.GetValueOrDefault(d) ?? [], accepted.GetValueOrDefault(d) ?? [])
                    : DonorHistory.None;
                var expected = MatchingRules.Decide(pledge, chunk.Funds, remaining, history);
                Assert.Equal(expected, actual);
                first[pledge.PledgeId] = actual;
                if (pledge.DonorHash is not { } donor) continue;
                (accepted.TryGetValue(donor, out var a) ? a : accepted[donor] = [])[pledge.PledgeId] = pledge.AcceptedAt;
                if (actual.FundId is not { } fundId) continue;
                remaining[fundId] -= actual.Matched;
                var byFund = matched.TryGetValue(donor, out var mf) ? mf : matched[donor] = [];
                byFund[fundId] = byFund.GetValueOrDefault(fundId) + actual.Matched;
            }
        });
}
