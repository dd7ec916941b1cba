using System.Text.Json;
using System.Text.Json.Serialization;
using GivingDay.Campaigns;
using GivingDay.Ledger;
using GivingDay.Amounts;
using GivingDay.Pledges;
using GivingDay.Totals;

namespace GivingDay.Functions.Http;

public sealed record ProjectView(string Id, string Name, long Goal, string? Story, string? PictureUrl);
public sealed record FundView(string Id, string Sponsor, Ratio Ratio, long Pool, long Remaining, long? PerPledgeCap, long? PerDonorCap,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, IReadOnlyList<string> ProjectIds);
public sealed record CampaignView(string Id, string Name, string Event, DateTimeOffset StartsAt, DateTimeOffset EndsAt, CampaignStatus Status,
    string Currency, long MinPledge, long MaxPledge, IReadOnlyList<ProjectView> Projects, IReadOnlyList<FundView> MatchingFunds,
    DateTimeOffset? ClosedAt, DateTimeOffset? FinalizedAt, int Shards, Checkpoint? Ledger = null)
{
    public static CampaignView Of(Campaign c, TotalsState totals, DateTimeOffset now) => new(
        c.Id, c.Name, c.Event, c.StartsAt, c.EndsAt, c.StatusAt(now), Campaign.Currency, c.MinPledge.Fen, c.MaxPledge.Fen,
        c.Projects.Select(p => new ProjectView(p.Id, p.Name, p.Goal.Fen, p.Story, p.PictureUrl)).ToList(),
        c.MatchingFunds.Select(f =>
        {
            var pool = totals.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen);
            return new FundView(f.Id, f.Sponsor, f.Ratio, pool, pool - totals.Used(f.Id), f.PerPledgeCap?.Fen, f.PerDonorCap?.Fen, f.StartsAt, f.EndsAt, f.ProjectIds);
        }).ToList(), c.ClosedAt, c.FinalizedAt, c.Shards);
}

public sealed record CampaignSummaryView(string Id, string Name, string Event, DateTimeOffset StartsAt, DateTimeOffset EndsAt, CampaignStatus Status);

public sealed record PledgeAcceptedView(string PledgeId, string Status, string StatusUrl);

/// <summary>A pledge's status; once sequenced into the public ledger, its leaf index and where to get its proof.</summary>
public sealed record PledgeStatusView(string PledgeId, string ProjectId, long Amount, long Matched, string? FundId, DateTimeOffset AcceptedAt, string Status, string Channel,
    DateTimeOffset? CountedAt, PledgeLedgerView? Ledger)
{
    public static PledgeStatusView Of(LedgerPledge p, PledgeLedgerView? ledger) =>
        new(p.Pledge.Id, p.Pledge.ProjectId, p.Pledge.Amount.Fen, p.Matched.Fen, p.FundId, p.Pledge.AcceptedAt, p.Status, p.Pledge.Channel, p.CountedAt, ledger);
}

public sealed record FiguresView(long Raised, long Matched, long Total, long Donors, long Pledges)
{
    public static FiguresView Of(Figures f) => new(f.Raised, f.Matched, f.Total, f.Donors, f.Pledges);
}

public sealed record LeaderboardProjectView(int Rank, string ProjectId, string Name, long Goal, long Raised, long Matched, long Total, long Donors, long Pledges);
public sealed record LeaderboardFundView(string Id, string Sponsor, long Pool, long Remaining);
public sealed record LeaderboardView(string CampaignId, DateTimeOffset AsOf, FiguresView Totals, IReadOnlyList<LeaderboardProjectView> Projects,
    IReadOnlyList<LeaderboardFundView> Funds, IReadOnlyList<RecentGift> Recent)
{
    /// <summary>Ranked by total (or donors), ties broken by the other, then by project id.</summary>
    public static LeaderboardView Of(Campaign c, TotalsState s, DateTimeOffset asOf, bool byDonors)
    {
        var rows = c.Projects.Select(p => (Project: p, Figures: s.Projects.GetValueOrDefault(p.Id) ?? new Figures()));
        var ordered = byDonors
            ? rows.OrderByDescending(r => r.Figures.Donors).ThenByDescending(r => r.Figures.Total)
            : rows.OrderByDescending(r => r.Figures.Total).ThenByDescending(r => r.Figures.Donors);
        var projects = ordered.ThenBy(r => r.Project.Id, StringComparer.Ordinal)
            .Select((r, i) => new LeaderboardProjectView(i + 1, r.Project.Id, r.Project.Name, r.Project.Goal.Fen,
                r.Figures.Raised, r.Figures.Matched, r.Figures.Total, r.Figures.Donors, r.Figures.Pledges))
            .ToList();
        var funds = c.MatchingFunds.Select(f =>
        {
            var pool = s.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen);
            return new LeaderboardFundView(f.Id, f.Sponsor, pool, pool - s.Used(f.Id));
        }).ToList();
        return new LeaderboardView(c.Id, asOf, FiguresView.Of(s.Totals), projects, funds, s.Recent);
    }
}

/// <summary>The organiser's dry run of a definition change: what would change, nothing written.</summary>
public sealed record CampaignDryRunView(bool DryRun, bool Created, IReadOnlyList<CampaignChange> Changes);

/// <summary>One gift in the organiser's donor list: the display name as given (null when none or anonymous), never a contact.</summary>
public sealed record DonorView(string PledgeId, string? DisplayName, bool Anonymous, string ProjectId, string? ProjectName,
    long AmountFen, string AmountYuan, long MatchedFen, string Channel, DateTimeOffset AcceptedAt)
{
    public static DonorView Of(Campaign campaign, LedgerPledge p) => new(p.Pledge.Id, p.Pledge.DisplayName, p.Pledge.Anonymous, p.Pledge.ProjectId,
        campaign.FindProject(p.Pledge.ProjectId)?.Name, p.Pledge.Amount.Fen, p.Pledge.Amount.ToString(), p.Matched.Fen, p.Pledge.Channel, p.Pledge.AcceptedAt);
}

public sealed record DonorListView(string CampaignId, IReadOnlyList<DonorView> Donors);

public sealed record DonorDownloadsView(IReadOnlyList<DonorDownload> Downloads);
/// <summary>Source-generated JSON metadata for the HTTP answers, asked first by the HTTP JSON options in both hosts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CampaignView))]
[JsonSerializable(typeof(List<CampaignSummaryView>))]
[JsonSerializable(typeof(PledgeAcceptedView))]
[JsonSerializable(typeof(PledgeStatusView))]
[JsonSerializable(typeof(LeaderboardView))]
[JsonSerializable(typeof(CampaignDryRunView))]
[JsonSerializable(typeof(DonorListView))]
[JsonSerializable(typeof(DonorDownloadsView))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
