using GivingDay.Campaigns;

namespace GivingDay.Matching;

using GivingDay.Amounts;

/// <summary>Applies <see cref="MatchingRules.Decide"/> to a chunk of pledges in processing order, first come
/// first served: each match is taken from the pool and added to the donor's total before the next pledge is
/// decided, so the chunk as a whole never overdraws a pool or a donor cap. The caller persists
/// <see cref="Remaining"/> and <see cref="DonorMatched"/> afterwards.</summary>
public sealed class MatchingLedger
{
    private readonly IReadOnlyList<MatchingFund> _funds;
    private readonly Dictionary<string, Money> _remaining;
    private readonly Func<string, DonorHistory> _donorLookup;
    private readonly Dictionary<string, (Dictionary<string, Money> Matched, Dictionary<string, DateTimeOffset> AcceptedAt)> _donors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MatchDecision> _decided = new(StringComparer.Ordinal);

    /// <param name="remainingByFund">What is left in each pool before the chunk; must hold every fund.</param>
    /// <param name="donorLookup">What storage knows about a donor (by contact hash) before the chunk; asked once per donor.</param>
    public MatchingLedger(IReadOnlyList<MatchingFund> funds, IReadOnlyDictionary<string, Money> remainingByFund, Func<string, DonorHistory> donorLookup)
    {
        var missing = funds.FirstOrDefault(f => !remainingByFund.ContainsKey(f.Id));
        if (missing is not null) throw new ArgumentException($"no remaining amount given for fund '{missing.Id}'", nameof(remainingByFund));
        _funds = funds;
        _remaining = new Dictionary<string, Money>(remainingByFund, StringComparer.Ordinal);
        _donorLookup = donorLookup;
    }

    /// <summary>What is left in each pool after the pledges applied so far.</summary>
    public IReadOnlyDictionary<string, Money> Remaining => _remaining;

    /// <summary>Donor hash → fund id → total matched to that donor (known before the chunk plus this chunk),
    /// for every donor this ledger has seen.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Money>> DonorMatched =>
        _donors.ToDictionary(d => d.Key, d => (IReadOnlyDictionary<string, Money>)d.Value.Matched, StringComparer.Ordinal);

    /// <summary>Decides one pledge and takes its match from the pool. A pledge id applied again (a redelivered
    /// message in the same chunk) gets its first decision back and takes nothing more.</summary>
    public MatchDecision Apply(PledgeToMatch pledge)
    {
        if (_decided.TryGetValue(pledge.PledgeId, out var earlier)) return earlier;

        MatchDecision decision;
        if (string.IsNullOrEmpty(pledge.DonorHash))
        {
            decision = MatchingRules.Decide(pledge, _funds, _remaining, DonorHistory.None);
        }
        else
        {
            var donor = Donor(pledge.DonorHash);
            decision = MatchingRules.Decide(pledge, _funds, _remaining, new DonorHistory(donor.Matched, donor.AcceptedAt));
            // Later pledges of this donor in the chunk see this one, whether it matched or not: velocity counts gifts, not matches.
            donor.AcceptedAt[pledge.PledgeId] = pledge.AcceptedAt;
            if (decision.FundId is { } fundId)
            {
                _remaining[fundId] -= decision.Matched;
                donor.Matched[fundId] = (donor.Matched.TryGetValue(fundId, out var m) ? m : Money.Zero) + decision.Matched;
            }
        }
        _decided[pledge.PledgeId] = decision;
        return decision;
    }

    private (Dictionary<string, Money> Matched, Dictionary<string, DateTimeOffset> AcceptedAt) Donor(string donorHash)
    {
        if (!_donors.TryGetValue(donorHash, out var donor))
        {
            var known = _donorLookup(donorHash);
            donor = (new Dictionary<string, Money>(known.MatchedByFund, StringComparer.Ordinal),
                     new Dictionary<string, DateTimeOffset>(known.AcceptedAtByPledge, StringComparer.Ordinal));
            _donors[donorHash] = donor;
        }
        return donor;
    }
}
