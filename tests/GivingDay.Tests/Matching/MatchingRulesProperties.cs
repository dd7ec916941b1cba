using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GivingDay.Campaigns;
using GivingDay.Matching;

namespace GivingDay.Tests.Matching;

using GivingDay.Amounts;

// A fixed seed keeps CI deterministic; the properties were also run with many random seeds while writing them.
[Properties(Replay = "(1508212219,296402401)", MaxTest = 500)]
public class MatchingRulesProperties
{
    private static Property ForEachMatch(Action<MatchCase, MatchDecision, MatchingFund> check) =>
        Prop.ForAll(MatchingGen.Case.ToArbitrary(), c =>
        {
            var d = MatchingRules.Decide(c.Pledge, c.Funds, c.Remaining, c.Donor);
            if (d.FundId is null) { Assert.Equal(Money.Zero, d.Matched); return; }
            check(c, d, c.Funds.Single(f => f.Id == d.FundId));
        });

    [Property]
    public Property Match_never_exceeds_floor_of_amount_times_ratio() =>
        ForEachMatch((c, d, f) => Assert.True(d.Matched.Fen <= MatchingGen.FloorTimes(c.Pledge.Amount.Fen, f.Ratio.PerTenThousand)));

    [Property]
    public Property Match_never_exceeds_the_per_pledge_cap() =>
        ForEachMatch((_, d, f) => Assert.True(f.PerPledgeCap is null || d.Matched <= f.PerPledgeCap.Value));

    [Property]
    public Property Match_never_exceeds_what_is_left_in_the_pool() =>
        ForEachMatch((c, d, f) => Assert.True(d.Matched <= c.RemainingIn(f)));

    [Property]
    public Property Match_never_exceeds_what_the_donor_cap_leaves() =>
        ForEachMatch((c, d, f) => Assert.True(f.PerDonorCap is null || d.Matched + c.Donor.MatchedBy(f.Id) <= f.PerDonorCap.Value));

    [Property]
    public Property A_match_is_above_zero_and_exactly_the_smallest_limit() =>
        ForEachMatch((c, d, f) =>
        {
            Assert.Equal(MatchOutcome.Matched, d.Outcome);
            Assert.True(d.Matched > Money.Zero);
            Assert.Equal(MatchingGen.ExpectedMatch(f, c.Pledge.Amount, c.RemainingIn(f), c.Donor.MatchedBy(f.Id)), new BigInteger(d.Matched.Fen));
        });

    [Property]
    public Property Without_caps_and_with_a_deep_pool_the_match_is_the_exact_floor() =>
        Prop.ForAll(MatchingGen.Amount.ToArbitrary(), MatchingGen.Ratio.ToArbitrary(), (amount, ratio) =>
        {
            var fund = new MatchingFund("f", "s", ratio, new Money(long.MaxValue / 2), null, null, MatchingGen.CampaignStart, MatchingGen.CampaignEnd, []);
            var d = MatchingRules.Decide(new PledgeToMatch("x", "p1", amount, "donor", MatchingGen.CampaignStart), [fund],
                new Dictionary<string, Money> { ["f"] = fund.Pool }, DonorHistory.None);
            Assert.Equal(MatchingGen.FloorTimes(amount.Fen, ratio.PerTenThousand), new BigInteger(d.Matched.Fen));
        });

    [Property]
    public Property First_eligible_fund_wins_and_a_later_one_only_when_earlier_ones_give_zero() =>
        Prop.ForAll(MatchingGen.Case.ToArbitrary(), c =>
        {
            var d = MatchingRules.Decide(c.Pledge, c.Funds, c.Remaining, c.Donor);
            BigInteger MatchBy(MatchingFund f) => MatchingGen.ExpectedMatch(f, c.Pledge.Amount, c.RemainingIn(f), c.Donor.MatchedBy(f.Id));
            bool Covers(MatchingFund f) => MatchingGen.CoversByHand(f, c.Pledge.ProjectId, c.Pledge.AcceptedAt);

            var chosen = d.FundId is null ? c.Funds.Count : c.Funds.ToList().FindIndex(f => f.Id == d.FundId);
            foreach (var earlier in c.Funds.Take(chosen))
                Assert.True(!Covers(earlier) || MatchBy(earlier) <= 0, $"{earlier.Id} comes first and would match {MatchBy(earlier)}");
            if (d.FundId is not null) Assert.True(Covers(c.Funds[chosen]) && MatchBy(c.Funds[chosen]) > 0);
            else Assert.Equal(c.Funds.Any(Covers) ? MatchOutcome.ZeroMatch : MatchOutcome.NoEligibleFund, d.Outcome);
        });

    [Property]
    public Property A_fund_covers_from_its_start_inclusive_to_its_end_exclusive() =>
        Prop.ForAll(MatchingGen.Fund("f").ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(), MatchingGen.TimeInCampaign.ToArbitrary(), (generated, which, random) =>
        {
            // Generous terms so that only the window decides.
            var fund = generated with { Ratio = Ratio.One, Pool = new Money(1_000_000), PerPledgeCap = null, PerDonorCap = null, ProjectIds = [] };
            var t = which switch
            {
                0 => fund.StartsAt, 1 => fund.StartsAt.AddTicks(-1), 2 => fund.EndsAt, 3 => fund.EndsAt.AddTicks(-1),
                4 => fund.StartsAt.ToOffset(TimeSpan.Zero), // the same instant written in UTC
                _ => random,
            };
            var d = MatchingRules.Decide(new PledgeToMatch("x", "p1", new Money(1000), "donor", t), [fund],
                new Dictionary<string, Money> { ["f"] = fund.Pool }, DonorHistory.None);
            var inside = t >= fund.StartsAt && t < fund.EndsAt;
            Assert.Equal(inside ? MatchOutcome.Matched : MatchOutcome.NoEligibleFund, d.Outcome);
            Assert.Equal(inside ? new Money(1000) : Money.Zero, d.Matched);
        });

    [Property]
    public Property A_fund_with_a_project_list_matches_only_those_projects() =>
        Prop.ForAll(MatchingGen.Case.ToArbitrary(), c =>
        {
            var d = MatchingRules.Decide(c.Pledge, c.Funds, c.Remaining, c.Donor);
            if (d.FundId is null) return;
            var fund = c.Funds.Single(f => f.Id == d.FundId);
            Assert.True(fund.ProjectIds.Count == 0 || fund.ProjectIds.Contains(c.Pledge.ProjectId));
        });

    [Property]
    public Property A_fund_without_a_project_list_matches_every_project() =>
        Prop.ForAll(Gen.Elements(MatchingGen.Projects).ToArbitrary(), MatchingGen.Amount.ToArbitrary(), (project, amount) =>
        {
            var fund = new MatchingFund("f", "s", Ratio.One, new Money(10_000_000), null, null, MatchingGen.CampaignStart, MatchingGen.CampaignEnd, []);
            var d = MatchingRules.Decide(new PledgeToMatch("x", project, amount, "donor", MatchingGen.CampaignStart), [fund],
                new Dictionary<string, Money> { ["f"] = fund.Pool }, DonorHistory.None);
            Assert.Equal(("f", amount), (d.FundId, d.Matched));
        });

    [Property]
    public Property A_pledge_without_contact_is_never_matched() =>
        Prop.ForAll(MatchingGen.Case.ToArbitrary(), Gen.Elements<string?>(null, "").ToArbitrary(), (c, noContact) =>
        {
            var d = MatchingRules.Decide(c.Pledge with { DonorHash = noContact }, c.Funds, c.Remaining, c.Donor);
            Assert.Equal(MatchDecision.Unmatched(MatchOutcome.NoContact), d);
        });

    /// <summary>k of the donor's other pledges inside [t − 60 s, t), plus any number outside it:
    /// at t itself, after t, before t − 60 s, and the pledge's own id inside the window.</summary>
    private static Gen<(DateTimeOffset T, int InWindow, DonorHistory History)> VelocityCase(int minIn, int maxIn) =>
        from t in MatchingGen.TimeInCampaign
        from k in Gen.Choose(minIn, maxIn)
        from inside in Gen.ListOf(MatchingGen.Long(1, MatchingRules.VelocityWindow.Ticks).Select(back => t.AddTicks(-back)), k)
        from outside in Gen.ListOf(Gen.OneOf(
            Gen.Constant(t),
            MatchingGen.Long(1, TimeSpan.FromMinutes(10).Ticks).Select(ahead => t.AddTicks(ahead)),
            MatchingGen.Long(MatchingRules.VelocityWindow.Ticks + 1, TimeSpan.FromMinutes(10).Ticks).Select(back => t.AddTicks(-back))))
        from exactlyAMinute in Gen.Elements(true, false)
        let times = inside.Select((a, i) => exactlyAMinute && i == 0 ? t - MatchingRules.VelocityWindow : a).Concat(outside).ToList()
        let byId = times.Select((a, i) => ($"other{i}", a)).Append(("x", t.AddSeconds(-1))).ToDictionary(p => p.Item1, p => p.Item2)
        select (t, k, new DonorHistory(new Dictionary<string, Money>(), byId));

    private static MatchDecision DecideWithGenerousFund(DateTimeOffset t, DonorHistory history)
    {
        var fund = new MatchingFund("f", "s", Ratio.One, new Money(1_000_000), null, null, MatchingGen.CampaignStart, MatchingGen.CampaignEnd.AddDays(1), []);
        return MatchingRules.Decide(new PledgeToMatch("x", "p1", new Money(1000), "donor", t), [fund], new Dictionary<string, Money> { ["f"] = fund.Pool }, history);
    }

    [Property]
    public Property Four_or_more_other_pledges_in_the_minute_before_mean_no_match() =>
        Prop.ForAll(VelocityCase(MatchingRules.VelocityLimit, 12).ToArbitrary(), v =>
            Assert.Equal(MatchDecision.Unmatched(MatchOutcome.Velocity), DecideWithGenerousFund(v.T, v.History)));

    [Property]
    public Property Three_or_fewer_in_the_minute_before_can_still_match_whatever_lies_outside_it() =>
        Prop.ForAll(VelocityCase(0, MatchingRules.VelocityLimit - 1).ToArbitrary(), v =>
            Assert.Equal(new MatchDecision("f", new Money(1000), MatchOutcome.Matched), DecideWithGenerousFund(v.T, v.History)));

    [Property]
    public Property IsScripted_counts_only_the_half_open_minute_before() =>
        Prop.ForAll(VelocityCase(0, 8).ToArbitrary(), v =>
            Assert.Equal(v.InWindow >= MatchingRules.VelocityLimit, MatchingRules.IsScripted(v.T, v.History.AcceptancesOtherThan("x"))));
}
