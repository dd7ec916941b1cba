using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using GivingDay.Campaigns;
using GivingDay.Pledges;
using GivingDay.Totals;

namespace GivingDay.Functions.Http;

// The request bodies as the parsers read them (PledgeRequest, CampaignDefinition, OfflineImport), typed for the OpenAPI
// document: the parsers read JSON element by element to name every bad field at once, so these types describe the
// shape and the tests check that every body the app accepts fits it.

/// <summary>The body of a pledge.</summary>
public sealed record PledgeBody(
    [property: Description("One of the campaign's projects.")] string ProjectId,
    [property: Description("Fen, from the campaign's minPledge to its maxPledge.")] long Amount,
    DonorBody? Donor = null,
    [property: MaxLength(PledgeRequest.MaxMessageLength)] string? Message = null);

public sealed record DonorBody(
    [property: MaxLength(PledgeRequest.MaxNameLength), Description("Shown masked; ignored when anonymous.")] string? Name = null,
    bool? Anonymous = null,
    [property: Description("A mainland mobile number or an e-mail address; stored only as a keyed hash; needed for a pledge to be matched.")] string? Contact = null);

/// <summary>A campaign definition.</summary>
public sealed record CampaignBody(
    string Name,
    [property: Description("5.8, 99 or custom.")] string Event,
    [property: Description("With an offset.")] DateTimeOffset StartsAt,
    [property: Description("With an offset; after startsAt.")] DateTimeOffset EndsAt,
    [property: Description("One or more.")] IReadOnlyList<ProjectBody> Projects,
    [property: Description("Fen (default 100).")] long? MinPledge = null,
    [property: Description("Fen (default 5,000,000).")] long? MaxPledge = null,
    IReadOnlyList<FundBody>? MatchingFunds = null,
    [property: Range(1, ShardLayout.Max), Description("Partitions counting is split into: raise it for a campaign past ~500 pledges/s (docs/deploy.md). Absent: the campaign keeps its count (1 when new). Changeable only before the campaign starts, while it has no gifts.")] int? Shards = null);

public sealed record ProjectBody(
    string Id,
    string Name,
    [property: Description("Fen.")] long Goal,
    [property: MaxLength(CampaignDefinition.MaxStoryLength)] string? Story = null,
    [property: Description("An https URL.")] string? PictureUrl = null);

public sealed record FundBody(
    string Id,
    string Sponsor,
    [property: Description("Above 0, at most 100, at most four decimals: 1 doubles a gift.")] decimal Ratio,
    [property: Description("Fen.")] long Pool,
    [property: Description("Fen.")] long? PerPledgeCap = null,
    [property: Description("Fen.")] long? PerDonorCap = null,
    [property: Description("Within the campaign (default its start).")] DateTimeOffset? StartsAt = null,
    [property: Description("Within the campaign (default its end).")] DateTimeOffset? EndsAt = null,
    [property: Description("The projects it matches (default all).")] IReadOnlyList<string>? ProjectIds = null);

/// <summary>One gift received offline: a row of the file (JSON, or CSV with these column names).</summary>
public sealed record OfflinePledgeRow(
    string ProjectId,
    [property: Description("Fen.")] long Amount,
    string? Name = null,
    string? Message = null,
    [property: Description("When it was received (default: now).")] DateTimeOffset? ReceivedAt = null);

// Answers that were anonymous objects.

public sealed record HealthView(string Status);
public sealed record ReadinessView([property: Description("ready or unavailable.")] string Status, IReadOnlyList<ReadinessCheckView> Checks);
public sealed record ReadinessCheckView(string Name, [property: Description("ok or failing.")] string Status, string? Description);
public sealed record ClosingView(string CampaignId, [property: Description("closing, or finalized once the final snapshot is written.")] string Status, DateTimeOffset? ClosedAt);
