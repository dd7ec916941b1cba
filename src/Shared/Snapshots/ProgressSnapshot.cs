using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Totals;

namespace GivingDay.Snapshots;

public sealed record FiguresSnapshot(long Raised, long Matched, long Total, long Donors, long Pledges)
{
    public static FiguresSnapshot Of(Figures f) => new(f.Raised, f.Matched, f.Total, f.Donors, f.Pledges);
}

public sealed record ProjectSnapshot(string ProjectId, string Name, long Goal, long Raised, long Matched, long Total, long Donors, long Pledges);

public sealed record FundSnapshot(string Id, string Sponsor, long Pool, long Used, long Remaining);

/// <summary>A campaign's progress at one moment, as the snapshot timer writes it, with the public ledger's checkpoint of
/// that tick (null before anything is sequenced).</summary>
public sealed record ProgressSnapshot(string CampaignId, DateTimeOffset AsOf, FiguresSnapshot Totals, IReadOnlyList<ProjectSnapshot> Projects, IReadOnlyList<FundSnapshot> Funds,
    Checkpoint? Checkpoint = null)
{
    public static ProgressSnapshot Of(Campaign campaign, TotalsState state, DateTimeOffset asOf) => new(
        campaign.Id, asOf, FiguresSnapshot.Of(state.Totals),
        campaign.Projects.Select(p =>
        {
            var f = state.Projects.GetValueOrDefault(p.Id) ?? new Figures();
            return new ProjectSnapshot(p.Id, p.Name, p.Goal.Fen, f.Raised, f.Matched, f.Total, f.Donors, f.Pledges);
        }).ToList(),
        FundsOf(campaign, state));

    public static List<FundSnapshot> FundsOf(Campaign campaign, TotalsState state) => campaign.MatchingFunds.Select(f =>
    {
        var pool = state.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen);
        return new FundSnapshot(f.Id, f.Sponsor, pool, state.Used(f.Id), pool - state.Used(f.Id));
    }).ToList();

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, GivingDayJson.Options);
}
