using GivingDay.Campaigns;
using GivingDay.Matching;

namespace GivingDay.Tests.Matching;

using GivingDay.Amounts;

/// <summary>Worked cases an organiser or sponsor would recognise, each run through the ledger as the processor would.</summary>
public class MatchingExamples
{
    private static readonly DateTimeOffset Start = new(2026, 9, 7, 0, 0, 0, TimeSpan.FromHours(8));
    private static readonly DateTimeOffset End = Start.AddDays(3);
    private static readonly DateTimeOffset Noon = Start.AddHours(12);

    private static MatchingFund Fund(string id, long pool, decimal ratio = 1m, long? perPledge = null, long? perDonor = null,
        DateTimeOffset? starts = null, DateTimeOffset? ends = null, params string[] projects) =>
        new(id, "sponsor " + id, new Ratio((long)(ratio * Ratio.Scale)), new Money(pool), perPledge is { } p ? new Money(p) : null,
            perDonor is { } d ? new Money(d) : null, starts ?? Start, ends ?? End, projects);

    private static MatchingLedger Ledger(params MatchingFund[] funds) =>
        new(funds, funds.ToDictionary(f => f.Id, f => f.Pool), _ => DonorHistory.None);

    private static int _next;
    private static PledgeToMatch Pledge(long amount, string? donor = "donor-a", DateTimeOffset? at = null, string project = "p1") =>
        new($"pledge-{Interlocked.Increment(ref _next)}", project, new Money(amount), donor, at ?? Noon);

    [Fact]
    public void A_pool_running_short_gives_a_partial_match_then_nothing()
    {
        var ledger = Ledger(Fund("f", pool: 3_000));
        Assert.Equal(new MatchDecision("f", new Money(3_000), MatchOutcome.Matched), ledger.Apply(Pledge(5_000)));
        Assert.Equal(MatchDecision.Unmatched(MatchOutcome.ZeroMatch), ledger.Apply(Pledge(5_000, "donor-b")));
        Assert.Equal(Money.Zero, ledger.Remaining["f"]);
    }

    [Fact]
    public void A_pool_used_up_exactly_matches_in_full_and_then_stops()
    {
        var ledger = Ledger(Fund("f", pool: 10_000));
        Assert.Equal(new Money(5_000), ledger.Apply(Pledge(5_000, "donor-a")).Matched);
        Assert.Equal(new Money(5_000), ledger.Apply(Pledge(5_000, "donor-b")).Matched);
        Assert.Equal(Money.Zero, ledger.Remaining["f"]);
        Assert.Equal(MatchOutcome.ZeroMatch, ledger.Apply(Pledge(100, "donor-c")).Outcome);
    }

    [Fact]
    public void When_the_first_fund_runs_dry_the_next_one_in_the_list_takes_over()
    {
        var ledger = Ledger(Fund("first", pool: 1_000), Fund("second", pool: 100_000, ratio: 0.5m));
        Assert.Equal(new MatchDecision("first", new Money(1_000), MatchOutcome.Matched), ledger.Apply(Pledge(2_000, "donor-a")));
        Assert.Equal(new MatchDecision("second", new Money(1_000), MatchOutcome.Matched), ledger.Apply(Pledge(2_000, "donor-b")));
    }

    [Fact]
    public void A_fund_has_expired_at_its_end_time_and_a_later_fund_can_still_match()
    {
        var morning = Fund("morning", pool: 100_000, ends: Noon);
        var allDay = Fund("all-day", pool: 100_000);
        Assert.Equal(new MatchDecision("morning", new Money(500), MatchOutcome.Matched), Ledger(morning).Apply(Pledge(500, at: Noon.AddTicks(-1))));
        Assert.Equal(MatchDecision.Unmatched(MatchOutcome.NoEligibleFund), Ledger(morning).Apply(Pledge(500, at: Noon)));
        Assert.Equal("all-day", Ledger(morning, allDay).Apply(Pledge(500, at: Noon)).FundId);
    }

    [Fact]
    public void A_project_outside_the_fund_list_is_not_matched_by_it()
    {
        var ledger = Ledger(Fund("preemies", pool: 100_000, projects: "shou-hu-zao-chan"));
        Assert.Equal(MatchDecision.Unmatched(MatchOutcome.NoEligibleFund), ledger.Apply(Pledge(1_000, project: "wei-xin-yuan")));
        Assert.Equal(new MatchDecision("preemies", new Money(1_000), MatchOutcome.Matched), ledger.Apply(Pledge(1_000, project: "shou-hu-zao-chan")));
    }

    [Fact]
    public void An_anonymous_gift_without_contact_is_counted_but_never_matched()
    {
        var ledger = Ledger(Fund("f", pool: 100_000));
        Assert.Equal(MatchDecision.Unmatched(MatchOutcome.NoContact), ledger.Apply(Pledge(10_000, donor: null)));
        Assert.Equal(new Money(100_000), ledger.Remaining["f"]);
        Assert.Empty(ledger.DonorMatched);
    }

    [Fact]
    public void A_scripted_donor_giving_8_times_in_a_few_seconds_gets_the_first_4_matched_and_no_more()
    {
        var ledger = Ledger(Fund("f", pool: 1_000_000));
        var outcomes = Enumerable.Range(0, 8).Select(i => ledger.Apply(Pledge(1_000, "script", Noon.AddMilliseconds(700 * i))).Outcome).ToList();
        Assert.Equal([.. Enumerable.Repeat(MatchOutcome.Matched, 4), .. Enumerable.Repeat(MatchOutcome.Velocity, 4)], outcomes);
        Assert.Equal(new Money(4_000), ledger.DonorMatched["script"]["f"]);
        // Another donor is not held back by the script.
        Assert.Equal(MatchOutcome.Matched, ledger.Apply(Pledge(1_000, "person", Noon.AddSeconds(6))).Outcome);
    }

    [Fact]
    public void A_donor_after_a_quiet_minute_can_be_matched_again()
    {
        var ledger = Ledger(Fund("f", pool: 1_000_000));
        for (var i = 0; i < 5; i++) ledger.Apply(Pledge(1_000, "d", Noon.AddSeconds(i)));
        // 60 s after the second gift that gift is still in the window ([t − 60 s, t)): four before it, so no match.
        Assert.Equal(MatchOutcome.Velocity, ledger.Apply(Pledge(1_000, "d", Noon.AddSeconds(61))).Outcome);
        // The 5th and 6th gifts count too, whether matched or not; a minute after the 6th the window is empty again.
        Assert.Equal(MatchOutcome.Matched, ledger.Apply(Pledge(1_000, "d", Noon.AddSeconds(121.5))).Outcome);
    }

    [Fact]
    public void Gifts_stamped_at_the_same_instant_are_not_before_one_another()
    {
        var ledger = Ledger(Fund("f", pool: 1_000_000));
        var sameInstant = Enumerable.Range(0, 6).Select(_ => ledger.Apply(Pledge(1_000, "d", Noon)).Outcome).ToList();
        Assert.All(sameInstant, o => Assert.Equal(MatchOutcome.Matched, o));
        Assert.Equal(MatchOutcome.Velocity, ledger.Apply(Pledge(1_000, "d", Noon.AddTicks(1))).Outcome);
    }

    [Fact]
    public void A_donor_cap_is_shared_by_that_donors_pledges_across_chunks()
    {
        var fund = Fund("f", pool: 1_000_000, perDonor: 10_000);
        var known = new DonorHistory(new Dictionary<string, Money> { ["f"] = new(4_000) }, new Dictionary<string, DateTimeOffset> { ["earlier"] = Start.AddHours(1) });
        var ledger = new MatchingLedger([fund], new Dictionary<string, Money> { ["f"] = fund.Pool }, d => d == "d" ? known : DonorHistory.None);
        Assert.Equal(new Money(5_000), ledger.Apply(Pledge(5_000, "d")).Matched);
        Assert.Equal(new Money(1_000), ledger.Apply(Pledge(5_000, "d", Noon.AddMinutes(5))).Matched);
        Assert.Equal(MatchOutcome.ZeroMatch, ledger.Apply(Pledge(5_000, "d", Noon.AddMinutes(10))).Outcome);
        Assert.Equal(new Money(10_000), ledger.DonorMatched["d"]["f"]);
    }

    [Fact]
    public void The_per_pledge_cap_and_the_ratio_floor_to_whole_fen()
    {
        var ledger = Ledger(Fund("half", pool: 1_000_000, ratio: 0.5m, perPledge: 20_000));
        Assert.Equal(new Money(166), ledger.Apply(Pledge(333, "a")).Matched); // 166.5 floors to 166
        Assert.Equal(new Money(20_000), ledger.Apply(Pledge(100_000, "b")).Matched);
        Assert.Equal(MatchOutcome.ZeroMatch, ledger.Apply(Pledge(1, "c")).Outcome); // 0.5 fen floors to nothing
    }

    [Fact]
    public void A_redelivered_pledge_gets_its_first_decision_and_takes_nothing_more()
    {
        var ledger = Ledger(Fund("f", pool: 10_000));
        var pledge = Pledge(4_000);
        var first = ledger.Apply(pledge);
        Assert.Equal(first, ledger.Apply(pledge));
        Assert.Equal(new Money(6_000), ledger.Remaining["f"]);
    }

    [Fact]
    public void The_pledge_itself_in_the_donor_history_is_not_held_against_it()
    {
        var fund = Fund("f", pool: 10_000);
        var pledge = Pledge(1_000, "d");
        var history = new DonorHistory(new Dictionary<string, Money>(), new Dictionary<string, DateTimeOffset>
        {
            [pledge.PledgeId] = pledge.AcceptedAt.AddSeconds(-1), // as storage may already hold it
            ["a"] = Noon.AddSeconds(-10), ["b"] = Noon.AddSeconds(-20), ["c"] = Noon.AddSeconds(-30),
        });
        Assert.Equal(MatchOutcome.Matched, MatchingRules.Decide(pledge, [fund], new Dictionary<string, Money> { ["f"] = fund.Pool }, history).Outcome);
        var withAFourth = history with { AcceptedAtByPledge = new Dictionary<string, DateTimeOffset>(history.AcceptedAtByPledge) { ["e"] = Noon.AddSeconds(-60) } };
        Assert.Equal(MatchOutcome.Velocity, MatchingRules.Decide(pledge, [fund], new Dictionary<string, Money> { ["f"] = fund.Pool }, withAFourth).Outcome);
    }

    [Fact]
    public void A_fund_without_a_remaining_amount_is_refused_rather_than_guessed()
    {
        var fund = Fund("f", pool: 10_000);
        Assert.Throws<ArgumentException>(() => new MatchingLedger([fund], new Dictionary<string, Money>(), _ => DonorHistory.None));
        Assert.Throws<ArgumentException>(() => MatchingRules.Decide(Pledge(100), [fund], new Dictionary<string, Money>(), DonorHistory.None));
    }
}
