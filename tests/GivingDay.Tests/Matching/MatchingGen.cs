using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using GivingDay.Campaigns;
using GivingDay.Matching;

namespace GivingDay.Tests.Matching;

using GivingDay.Amounts;

/// <summary>One call of <see cref="MatchingRules.Decide"/>: a pledge, the funds, what is left in each, and the donor's history.</summary>
public sealed record MatchCase(PledgeToMatch Pledge, IReadOnlyList<MatchingFund> Funds, IReadOnlyDictionary<string, Money> Remaining, DonorHistory Donor)
{
    public Money RemainingIn(MatchingFund f) => Remaining[f.Id];

    public override string ToString() =>
        $"{Pledge}\n  funds: {string.Join("\n         ", Funds.Select(f => $"{f.Id} ratio {f.Ratio} pool {f.Pool} remaining {Remaining[f.Id]} perPledge {f.PerPledgeCap?.ToString() ?? "-"} perDonor {f.PerDonorCap?.ToString() ?? "-"} donorHas {Donor.MatchedBy(f.Id)} [{f.StartsAt:O}, {f.EndsAt:O}) projects [{string.Join(",", f.ProjectIds)}]"))}\n  acceptances: {string.Join(", ", Donor.AcceptedAtByPledge.Select(a => $"{a.Key}@{a.Value:O}"))}";
}

/// <summary>Generators for the matching properties, and an independent oracle of the formula in BigInteger.</summary>
public static class MatchingGen
{
    public static readonly DateTimeOffset CampaignStart = new(2026, 9, 7, 0, 0, 0, TimeSpan.FromHours(8));
    public static readonly DateTimeOffset CampaignEnd = CampaignStart.AddDays(3);
    public static readonly string[] Projects = ["p1", "p2", "p3"];

    public static Gen<long> Long(long min, long max) =>
        // Gen.Choose is int-only: combine a high and a low part to cover the range without bias worth caring about.
        from hi in Gen.Choose(0, int.MaxValue)
        from lo in Gen.Choose(0, int.MaxValue)
        select min + (long)((((ulong)hi << 31) | (uint)lo) % (ulong)(max - min + 1));

    public static Gen<Money> Amount =>
        Gen.Frequency(
            (1, Gen.Choose(1, 100).Select(v => new Money(v))), // small enough that some ratios floor to zero
            (4, Gen.Choose(100, 5_000_000).Select(v => new Money(v))));

    public static Gen<Ratio> Ratio =>
        Gen.Frequency(
            (2, Gen.Elements(5_000L, 10_000L, 20_000L, 3_333L).Select(v => new Ratio(v))),
            (3, Gen.Choose(1, (int)GivingDay.Amounts.Ratio.MaxPerTenThousand).Select(v => new Ratio(v))));

    public static Gen<Money?> OptionalCap =>
        Gen.Frequency(
            (1, Gen.Constant<Money?>(null)),
            (2, Gen.Choose(1, 2_000_000).Select(v => (Money?)new Money(v))));

    /// <summary>A time in the campaign, on whole seconds or with ticks.</summary>
    public static Gen<DateTimeOffset> TimeInCampaign =>
        Long(0, (CampaignEnd - CampaignStart).Ticks - 1).Select(t => CampaignStart.AddTicks(t));

    public static Gen<MatchingFund> Fund(string id) =>
        from ratio in Ratio
        from pool in Gen.Choose(0, 3_000_000)
        from perPledge in OptionalCap
        from perDonor in OptionalCap
        from a in TimeInCampaign
        from b in TimeInCampaign
        from wholeCampaign in Gen.Elements(true, false)
        from projectIds in Gen.Frequency((1, Gen.Constant<IReadOnlyList<string>>([])), (1, Gen.SubListOf(Projects).Select(l => (IReadOnlyList<string>)l.ToList())))
        let starts = wholeCampaign ? CampaignStart : (a < b ? a : b)
        let ends = wholeCampaign ? CampaignEnd : (a < b ? b : a.AddTicks(1))
        select new MatchingFund(id, "sponsor " + id, ratio, new Money(pool), perPledge, perDonor, starts, ends, projectIds);

    public static Gen<IReadOnlyList<MatchingFund>> Funds(int min, int max) =>
        from n in Gen.Choose(min, max)
        from funds in Gen.CollectToList(Enumerable.Range(0, n).Select(i => Fund("f" + i)))
        select (IReadOnlyList<MatchingFund>)funds;

    /// <summary>A case where the donor has a contact and no recent gifts, so only funds, caps and pools decide.</summary>
    public static Gen<MatchCase> Case =>
        from funds in Funds(1, 4)
        // Exact edges (a full pool, an empty one, a donor exactly at the cap) come often enough to matter.
        from remaining in Gen.CollectToList(funds.Select(f => Gen.Frequency((1, Gen.Constant(f.Pool.Fen)), (1, Gen.Constant(0L)), (3, Long(0, f.Pool.Fen)))))
        from donorMatched in Gen.CollectToList(funds.Select(f => Gen.Frequency(
            (3, Gen.Constant(0L)), (1, Gen.Constant(f.PerDonorCap?.Fen ?? 0)), (1, Long(0, 2_500_000)))))
        from amount in Amount
        from project in Gen.Elements(Projects)
        from t in Gen.Frequency((3, TimeInCampaign), (1, Gen.Elements(funds.ToArray()).SelectMany(f => Gen.Elements(f.StartsAt, f.EndsAt, f.StartsAt.AddTicks(-1), f.EndsAt.AddTicks(-1)))))
        select new MatchCase(
            new PledgeToMatch("pledge", project, amount, "donor", t),
            funds,
            funds.Select((f, i) => (f.Id, new Money(remaining[i]))).ToDictionary(x => x.Id, x => x.Item2),
            new DonorHistory(funds.Select((f, i) => (f.Id, new Money(donorMatched[i]))).ToDictionary(x => x.Id, x => x.Item2), new Dictionary<string, DateTimeOffset>()));

    /// <summary>floor(amount × perTenThousand / 10000) in BigInteger, rounding towards minus infinity.</summary>
    public static BigInteger FloorTimes(long fen, long perTenThousand)
    {
        var q = BigInteger.DivRem(new BigInteger(fen) * perTenThousand, 10_000, out var r);
        return r.Sign < 0 ? q - 1 : q;
    }

    /// <summary>The formula of api.md written out again, independently of the code under test.</summary>
    public static BigInteger ExpectedMatch(MatchingFund fund, Money amount, Money remaining, Money donorAlready)
    {
        var limits = new List<BigInteger> { FloorTimes(amount.Fen, fund.Ratio.PerTenThousand), remaining.Fen };
        if (fund.PerPledgeCap is { } p) limits.Add(p.Fen);
        if (fund.PerDonorCap is { } d) limits.Add(new BigInteger(d.Fen) - donorAlready.Fen);
        return limits.Min();
    }

    public static bool CoversByHand(MatchingFund fund, string projectId, DateTimeOffset t) =>
        fund.StartsAt.UtcTicks <= t.UtcTicks && t.UtcTicks < fund.EndsAt.UtcTicks
        && (fund.ProjectIds.Count == 0 || fund.ProjectIds.Any(p => p == projectId));
}
