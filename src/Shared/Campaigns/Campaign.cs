using GivingDay.Amounts;

namespace GivingDay.Campaigns;

public enum CampaignStatus { Draft, Live, Closed, Finalized }

/// <summary>A project: its id never changes once money is counted against it; its name, goal, story and picture may.
/// The story is plain text (shown as text, never as HTML); the picture an https URL.</summary>
public sealed record Project(string Id, string Name, Money Goal, string? Story = null, string? PictureUrl = null);

/// <summary>A sponsor's matching pool. Absent caps do not limit; the window defaults to the campaign's.</summary>
public sealed record MatchingFund(
    string Id,
    string Sponsor,
    Ratio Ratio,
    Money Pool,
    Money? PerPledgeCap,
    Money? PerDonorCap,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    IReadOnlyList<string> ProjectIds)
{
    public bool Covers(string projectId, DateTimeOffset acceptedAt) =>
        acceptedAt >= StartsAt && acceptedAt < EndsAt && (ProjectIds.Count == 0 || ProjectIds.Contains(projectId));
}

/// <summary>A campaign as the organiser defined it, plus when it was closed and finalised. <see cref="Shards"/>: how many
/// partitions its counting is split into (GivingDay.Totals.ShardLayout); fixed once the campaign has started.</summary>
public sealed record Campaign(
    string Id,
    string Name,
    string Event,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    Money MinPledge,
    Money MaxPledge,
    IReadOnlyList<Project> Projects,
    IReadOnlyList<MatchingFund> MatchingFunds,
    DateTimeOffset? ClosedAt = null,
    DateTimeOffset? FinalizedAt = null,
    int Shards = 1)
{
    public const string Currency = "CNY";

    public CampaignStatus StatusAt(DateTimeOffset now) =>
        FinalizedAt is not null ? CampaignStatus.Finalized
        : ClosedAt is not null || now >= EndsAt ? CampaignStatus.Closed
        : now >= StartsAt ? CampaignStatus.Live
        : CampaignStatus.Draft;

    /// <summary>Pledges are taken only while live and not closed by the organiser.</summary>
    public bool IsOpenAt(DateTimeOffset now) => StatusAt(now) == CampaignStatus.Live;

    public Project? FindProject(string id) => Projects.FirstOrDefault(p => p.Id == id);
}
