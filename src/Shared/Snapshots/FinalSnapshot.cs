using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Csv;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Totals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace GivingDay.Snapshots;

/// <summary>What an attempt at the final snapshot came to. A closed campaign is not final until every accepted pledge
/// is counted and the ledger agrees with the live totals: <see cref="NotYet"/>, and the caller asks again later.</summary>
public abstract record FinalOutcome
{
    public sealed record Written(long Pledges, string LedgerSha256) : FinalOutcome;
    /// <summary>Not closed, or final already: nothing to write.</summary>
    public sealed record NothingToDo : FinalOutcome;
    public sealed record NotYet(string Why) : FinalOutcome;
}

/// <summary>The final snapshot of a closed campaign: the ledger as CSV (UTF-8 with BOM for Excel, masked names,
/// no contacts) and a JSON summary whose figures are computed from that ledger and checked against the live
/// totals, with the ledger's SHA-256. Written once; running it again changes nothing.</summary>
public sealed class FinalSnapshot(
    StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, LiveTotals totals,
    SnapshotStore snapshots, LedgerTick ledgerTick, TimeProvider clock, IOptions<FinalSnapshotOptions> options, ILogger<FinalSnapshot> log)
{
    private readonly TimeSpan _grace = TimeSpan.FromSeconds(options.Value.GraceSeconds);

    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    public sealed record Summary(object Campaign, FiguresSnapshot Totals, IReadOnlyList<ProjectSnapshot> Projects, IReadOnlyList<FundSnapshot> Funds,
        long Pledges, string LedgerSha256, DateTimeOffset TakenAt, Checkpoint? Checkpoint);

    public async Task<FinalOutcome> WriteAsync(string campaignId, CancellationToken ct)
    {
        var campaign = await campaigns.GetAsync(campaignId, ct, fresh: true);
        if (campaign?.ClosedAt is not { } closedAt || campaign.FinalizedAt is not null) return new FinalOutcome.NothingToDo();
        var wait = closedAt + _grace - clock.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, ct);

        var read = pipelines.GetPipeline(StoragePipelines.Storage);
        if (await ShardLayout.AnyAsync(_ledger, read, campaignId, campaign.Shards, LedgerKeys.MarkerPrefix, LedgerKeys.MarkerEnd, ct)) return new FinalOutcome.NotYet($"{campaignId}: accepted pledges are still being counted");

        var ledger = await PledgeRows.ReadAllAsync(_ledger, read, campaignId, campaign.Shards, ct);

        var live = (await totals.ReadAsync(campaignId)).State;
        var fromLedger = Sum(ledger);
        if (!SameFigures(fromLedger, live, campaign))
            return new FinalOutcome.NotYet($"{campaignId}: the ledger does not reconcile with the live totals yet");

        // The public ledger's final checkpoint covers every gift of the final figures, and only those. A campaign closed
        // without a gift has an empty ledger, which has no checkpoint: its final snapshot says so with none.
        var checkpoint = await ledgerTick.RunAsync(campaignId, ct, fullSweep: true);
        if (ledger.Count > 0 && (checkpoint is null || checkpoint.TreeSize != ledger.Count))
            return new FinalOutcome.NotYet($"{campaignId}: the public ledger has {checkpoint?.TreeSize ?? 0} of {ledger.Count} gifts so far");

        var takenAt = clock.GetUtcNow();
        var csv = LedgerCsv(campaign, ledger);
        var sha = SnapshotStore.Sha256(csv);
        var summary = new Summary(
            new { campaign.Id, campaign.Name, campaign.Event, campaign.StartsAt, campaign.EndsAt, campaign.ClosedAt, Currency = Campaign.Currency },
            FiguresSnapshot.Of(live.Totals),
            ProgressSnapshot.Of(campaign, live, takenAt).Projects,
            ProgressSnapshot.FundsOf(campaign, live),
            ledger.Count, sha, takenAt, checkpoint);
        await snapshots.CreateAsync(campaignId, SnapshotStore.FinalCsv, csv, "text/csv; charset=utf-8", takenAt, ct);
        await snapshots.CreateAsync(campaignId, SnapshotStore.FinalJson, JsonSerializer.SerializeToUtf8Bytes(summary, GivingDayJson.Options), "application/json; charset=utf-8", takenAt, ct);
        await campaigns.MarkFinalizedAsync(campaignId, ct);
        log.LogInformation("Final snapshot of {Campaign}: {Count} pledges, ledger sha256 {Sha}", campaignId, ledger.Count, sha);
        return new FinalOutcome.Written(ledger.Count, sha);
    }

    /// <summary>Per-project and campaign figures summed over ledger rows (a pledge without a contact is its own donor).</summary>
    public static TotalsState Sum(IReadOnlyList<LedgerPledge> ledger)
    {
        var s = new TotalsState();
        foreach (var p in ledger)
        {
            var f = s.Project(p.Pledge.ProjectId);
            f.Raised += p.Pledge.Amount.Fen; f.Matched += p.Matched.Fen; f.Pledges++;
            s.Totals.Raised += p.Pledge.Amount.Fen; s.Totals.Matched += p.Matched.Fen; s.Totals.Pledges++;
        }
        s.Totals.Donors = ledger.Count(p => p.Pledge.DonorHash is null) + ledger.Where(p => p.Pledge.DonorHash is not null).Select(p => p.Pledge.DonorHash).Distinct().Count();
        foreach (var g in ledger.GroupBy(p => p.Pledge.ProjectId))
            s.Project(g.Key).Donors = g.Count(p => p.Pledge.DonorHash is null) + g.Where(p => p.Pledge.DonorHash is not null).Select(p => p.Pledge.DonorHash).Distinct().Count();
        return s;
    }

    private static bool SameFigures(TotalsState a, TotalsState b, Campaign campaign)
    {
        static bool Same(Figures x, Figures y) => x.Raised == y.Raised && x.Matched == y.Matched && x.Pledges == y.Pledges && x.Donors == y.Donors;
        return Same(a.Totals, b.Totals) && campaign.Projects.All(p =>
            Same(a.Projects.GetValueOrDefault(p.Id) ?? new Figures(), b.Projects.GetValueOrDefault(p.Id) ?? new Figures()));
    }

    /// <summary>The ledger's columns (docs/api.md): Chinese headers, yuan beside fen, Beijing time, the masked name.</summary>
    public static readonly string[] LedgerColumns =
        ["捐赠编号", "时间（北京时间）", "项目编号", "项目", "金额（元）", "金额（分）", "配捐（元）", "配捐（分）", "配捐基金", "渠道", "显示名", "留言"];

    /// <summary>One row per pledge, ready for Excel (<see cref="ExcelCsv"/>); the masked name only, no contact.</summary>
    public static byte[] LedgerCsv(Campaign campaign, IReadOnlyList<LedgerPledge> ledger) =>
        ExcelCsv.Write(LedgerColumns, ledger.Select(p => new[]
        {
            p.Pledge.Id, ExcelCsv.BeijingTime(p.Pledge.AcceptedAt), p.Pledge.ProjectId, campaign.FindProject(p.Pledge.ProjectId)?.Name,
            ExcelCsv.Yuan(p.Pledge.Amount), ExcelCsv.Fen(p.Pledge.Amount), ExcelCsv.Yuan(p.Matched), ExcelCsv.Fen(p.Matched),
            p.FundId, ExcelCsv.Channel(p.Pledge.Channel), p.Pledge.MaskedName, p.Pledge.Message,
        }));
}

/// <summary>FinalSnapshot:GraceSeconds: how long after a close the final snapshot waits, because an intake commit that
/// read the campaign just before the close may still land. A test app whose closes race no intake sets it to 0.</summary>
public sealed class FinalSnapshotOptions
{
    public const string Section = "FinalSnapshot";
    public double GraceSeconds { get; set; } = 3;
}
