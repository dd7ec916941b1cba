using GivingDay.Amounts;
using GivingDay.Campaigns;

namespace GivingDay.Matching;

/// <summary>A pledge as matching sees it. <see cref="DonorHash"/> is the keyed hash of the donor's contact, null without one.</summary>
public sealed record PledgeToMatch(string PledgeId, string ProjectId, Money Amount, string? DonorHash, DateTimeOffset AcceptedAt);

/// <summary>What is already known about one donor: the amount each fund has matched to them so far, and when
/// each of their pledges was accepted, by pledge id. Keyed by id so that the pledge being decided is never
/// counted against itself and a pledge known twice (stored and in the current chunk) counts once.
/// The times may be in any order and may lie after the pledge being decided.</summary>
public sealed record DonorHistory(IReadOnlyDictionary<string, Money> MatchedByFund, IReadOnlyDictionary<string, DateTimeOffset> AcceptedAtByPledge)
{
    public static readonly DonorHistory None = new(new Dictionary<string, Money>(), new Dictionary<string, DateTimeOffset>());

    public Money MatchedBy(string fundId) => MatchedByFund.TryGetValue(fundId, out var m) ? m : Money.Zero;

    public IEnumerable<DateTimeOffset> AcceptancesOtherThan(string pledgeId) =>
        AcceptedAtByPledge.Where(a => a.Key != pledgeId).Select(a => a.Value);
}

public enum MatchOutcome
{
    Matched,
    /// <summary>The pledge has no donor contact: nothing to apply a per-donor cap to, so no match.</summary>
    NoContact,
    /// <summary>The donor gave too often in the last minute (<see cref="MatchingRules.IsScripted"/>).</summary>
    Velocity,
    /// <summary>No fund's window contains the time or no fund's project list has the project.</summary>
    NoEligibleFund,
    /// <summary>Funds cover the pledge but each would match zero: pool used up, donor cap reached, or an amount so small the ratio floors to zero.</summary>
    ZeroMatch,
}

/// <summary>The answer for one pledge: which fund matched it and how much (zero and no fund otherwise), and why.</summary>
public sealed record MatchDecision(string? FundId, Money Matched, MatchOutcome Outcome)
{
    public static MatchDecision Unmatched(MatchOutcome why) => new(null, Money.Zero, why);
}

/// <summary>The matching rules of the API contract ("Matching rules" in docs/api.md), as pure functions:
/// no storage, no clock; the caller says what is left in each pool and what the donor already has.</summary>
public static class MatchingRules
{
    /// <summary>A person needs about 15 s per gift, so a fifth gift within a minute is a script.</summary>
    public const int VelocityLimit = 4;
    public static readonly TimeSpan VelocityWindow = TimeSpan.FromSeconds(60);

    /// <summary>Decides the match for one pledge. Funds are tried in the listed order; the first whose window
    /// and project list cover the pledge and whose match is above zero wins.</summary>
    /// <param name="remainingByFund">What is left in each fund's pool; must hold every fund in <paramref name="funds"/>.</param>
    public static MatchDecision Decide(PledgeToMatch pledge, IReadOnlyList<MatchingFund> funds, IReadOnlyDictionary<string, Money> remainingByFund, DonorHistory donor)
    {
        if (string.IsNullOrEmpty(pledge.DonorHash)) return MatchDecision.Unmatched(MatchOutcome.NoContact);
        if (IsScripted(pledge.AcceptedAt, donor.AcceptancesOtherThan(pledge.PledgeId))) return MatchDecision.Unmatched(MatchOutcome.Velocity);

        var anyCovers = false;
        foreach (var fund in funds)
        {
            if (!fund.Covers(pledge.ProjectId, pledge.AcceptedAt)) continue;
            anyCovers = true;
            if (!remainingByFund.TryGetValue(fund.Id, out var remaining))
                throw new ArgumentException($"no remaining amount given for fund '{fund.Id}'", nameof(remainingByFund));
            var match = MatchBy(fund, pledge.Amount, remaining, donor.MatchedBy(fund.Id));
            if (match > Money.Zero) return new MatchDecision(fund.Id, match, MatchOutcome.Matched);
        }
        return MatchDecision.Unmatched(anyCovers ? MatchOutcome.ZeroMatch : MatchOutcome.NoEligibleFund);
    }

    /// <summary>min(floor(amount × ratio), perPledgeCap, perDonorCap − already matched to the donor by this fund,
    /// remaining pool); an absent cap does not limit. Zero or below means this fund gives nothing.</summary>
    public static Money MatchBy(MatchingFund fund, Money amount, Money remaining, Money alreadyMatchedToDonor)
    {
        var match = Money.Min(amount.FloorTimes(fund.Ratio), remaining);
        if (fund.PerPledgeCap is { } perPledge) match = Money.Min(match, perPledge);
        if (fund.PerDonorCap is { } perDonor) match = Money.Min(match, perDonor - alreadyMatchedToDonor);
        return match;
    }

    /// <summary>True when at least <see cref="VelocityLimit"/> of the donor's other pledges were accepted in
    /// [t − 60 s, t). A pledge accepted at exactly t is not "before" t and does not count: the rule reads
    /// "in the 60 seconds before it", and two pledges stamped at the same instant have no order between them,
    /// so neither is held against the other.</summary>
    public static bool IsScripted(DateTimeOffset acceptedAt, IEnumerable<DateTimeOffset> otherAcceptances)
    {
        var from = acceptedAt - VelocityWindow;
        return otherAcceptances.Count(a => a >= from && a < acceptedAt) >= VelocityLimit;
    }
}
