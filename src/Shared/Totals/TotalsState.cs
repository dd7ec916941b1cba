using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Json;
using GivingDay.Pledges;
using Polly;

namespace GivingDay.Totals;

/// <summary>Raised, matched, donors and pledges, in fen and counts.</summary>
public sealed class Figures
{
    public long Raised { get; set; }
    public long Matched { get; set; }
    public long Donors { get; set; }
    public long Pledges { get; set; }
    public long Total => Raised + Matched;
}

public sealed record RecentGift(string ProjectId, long Amount, string? Name, string? Message, DateTimeOffset AcceptedAt);

/// <summary>The live totals of one campaign (the ledger row "state"), or of one lane of a shard of a sharded campaign (its
/// "state" rows, <see cref="ShardLayout.Lanes"/>). Every counting step replaces one under its ETag, so counting steps
/// writing it are serialised and the figures are the sum of counted pledges.
/// It also holds each fund's pool (written by the organiser's PUT under the same ETag), so a pool can never be
/// lowered below what a concurrent counting step has just matched.</summary>
public sealed class TotalsState
{
    public const int RecentKept = 10;

    public Figures Totals { get; set; } = new();
    public Dictionary<string, Figures> Projects { get; set; } = new();
    public Dictionary<string, long> FundUsed { get; set; } = new();
    /// <summary>A one-shard campaign's pools. A sharded campaign keeps its pools in the fund row (<see cref="FundAllotments"/>)
    /// and this stays empty in its shards' rows.</summary>
    public Dictionary<string, long> FundPools { get; set; } = new();
    /// <summary>A shard lane's allotment it gave back (<see cref="FundAllotments"/>): no longer its to match.</summary>
    public Dictionary<string, long> FundReleased { get; set; } = new();
    public List<RecentGift> Recent { get; set; } = [];

    public Figures Project(string id) => Projects.TryGetValue(id, out var f) ? f : Projects[id] = new Figures();
    public long Used(string fundId) => FundUsed.GetValueOrDefault(fundId);
    public long Released(string fundId) => FundReleased.GetValueOrDefault(fundId);

    /// <summary>A sharded campaign's totals: the sum of its shards' lanes' (a donor is in one shard only and is added by one
    /// step, of one lane, so donors add up too).
    /// One state is itself; pools come from a one-shard campaign's row only.</summary>
    public static TotalsState Sum(IReadOnlyList<TotalsState> shards)
    {
        if (shards.Count == 1) return shards[0];
        var sum = new TotalsState();
        foreach (var shard in shards)
        {
            Add(sum.Totals, shard.Totals);
            foreach (var (id, figures) in shard.Projects) Add(sum.Project(id), figures);
            foreach (var (fund, used) in shard.FundUsed) sum.FundUsed[fund] = sum.Used(fund) + used;
        }
        sum.AddRecent(shards.SelectMany(s => s.Recent));
        return sum;

        static void Add(Figures to, Figures from)
        {
            to.Raised += from.Raised; to.Matched += from.Matched; to.Donors += from.Donors; to.Pledges += from.Pledges;
        }
    }

    /// <summary>A partition's totals row (the campaign's, or one shard's: <see cref="ShardLayout.Partition"/>; in a sharded
    /// campaign, one lane's: <see cref="ShardLayout.Lanes"/>); a new state without an ETag when there is none yet.</summary>
    public static async Task<(TotalsState State, ETag? ETag)> ReadAsync(TableClient ledger, ResiliencePipeline pipeline, string partition, CancellationToken ct, int lane = 0) =>
        FromRow(await pipeline.ExecuteAsync(async t =>
            (await ledger.GetEntityIfExistsAsync<TableEntity>(partition, LedgerKeys.StateOf(lane), cancellationToken: t)) is { HasValue: true } r ? r.Value : null, ct));

    /// <summary>Writes the row under the ETag it was read with (added when it had none), so a write in between makes this fail.</summary>
    public async Task WriteAsync(TableClient ledger, ResiliencePipeline pipeline, string partition, ETag? readWith, CancellationToken ct, int lane = 0) =>
        await pipeline.ExecuteAsync(async t =>
        {
            if (readWith is { } e) await ledger.UpdateEntityAsync(ToRow(partition, lane), e, TableUpdateMode.Replace, t);
            else await ledger.AddEntityAsync(ToRow(partition, lane), t);
        }, ct);

    public static (TotalsState State, ETag? ETag) FromRow(TableEntity? row) =>
        row is null ? (new TotalsState(), null)
        : (JsonSerializer.Deserialize<TotalsState>(row.GetString("Totals") ?? "{}", GivingDayJson.Options) ?? new TotalsState(), row.ETag);

    /// <summary>A copy to change without touching this one (a counting step works on a copy until it commits).</summary>
    public TotalsState Clone() =>
        JsonSerializer.Deserialize<TotalsState>(JsonSerializer.Serialize(this, GivingDayJson.Options), GivingDayJson.Options)!;

    /// <param name="partition">The campaign's, or one of its shards' (<see cref="ShardLayout.Partition"/>).</param>
    /// <param name="lane">Which of the shard's totals rows (<see cref="ShardLayout.Lanes"/>).</param>
    public TableEntity ToRow(string partition, int lane = 0) => new(partition, LedgerKeys.StateOf(lane))
    {
        ["Totals"] = JsonSerializer.Serialize(this, GivingDayJson.Options),
    };

    public void AddRecent(IEnumerable<RecentGift> gifts)
    {
        Recent = gifts.Concat(Recent).OrderByDescending(g => g.AcceptedAt).Take(RecentKept).ToList();
    }
}
