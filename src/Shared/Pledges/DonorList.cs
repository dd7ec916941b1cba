using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Csv;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Pledges;

/// <summary>One download of a campaign's donor list: who (as the organiser said), when (UTC), in which format, how many
/// rows, and from which address.</summary>
public sealed record DonorDownload(string By, DateTimeOffset At, string Format, int Rows, string ClientAddress);

/// <summary>The organiser's donor list for thank-you letters and receipts: every accepted gift with the display name as
/// the donor (or the staff's offline file) gave it, never a contact or its hash. Full names are personal data, so every
/// download is written to the <c>donordownloads</c> table before the list is handed out.</summary>
public sealed class DonorList(StorageAccount account, ResiliencePipelineProvider<string> pipelines, TimeProvider clock)
{
    public static readonly string[] CsvColumns =
        ["捐赠编号", "显示名", "匿名", "项目编号", "项目", "金额（元）", "金额（分）", "配捐（元）", "配捐（分）", "渠道", "时间（北京时间）"];

    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);
    private readonly TableClient _downloads = account.Table(StorageNames.DonorDownloadsTable);

    /// <summary>The campaign's gifts, oldest first.</summary>
    public Task<IReadOnlyList<LedgerPledge>> ReadAsync(Campaign campaign, CancellationToken ct) =>
        PledgeRows.ReadAllAsync(_ledger, pipelines.GetPipeline(StoragePipelines.Storage), campaign.Id, campaign.Shards, ct);

    /// <summary>Writes the download to the log; the caller hands out the list only once this has succeeded.</summary>
    public async Task RecordDownloadAsync(string campaignId, string by, string format, int rows, string clientAddress, CancellationToken ct)
    {
        var at = clock.GetUtcNow();
        // Newest first in key order.
        var row = new TableEntity(campaignId, $"{DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks:D19}|{Guid.NewGuid():N}")
        {
            ["By"] = by, ["At"] = at, ["Format"] = format, ["Rows"] = rows, ["ClientAddress"] = clientAddress,
        };
        await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t => await _downloads.AddEntityAsync(row, t), ct);
    }

    /// <summary>The campaign's donor-list downloads, newest first.</summary>
    public async Task<IReadOnlyList<DonorDownload>> DownloadsAsync(string campaignId, CancellationToken ct) =>
        await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
        {
            var list = new List<DonorDownload>();
            await foreach (var row in _downloads.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaignId}"), cancellationToken: t))
                list.Add(new DonorDownload(row.GetString("By") ?? "", row.GetDateTimeOffset("At") ?? default, row.GetString("Format") ?? "",
                    row.GetInt32("Rows") ?? 0, row.GetString("ClientAddress") ?? ""));
            return list;
        }, ct);

    /// <summary>The list for Excel (<see cref="ExcelCsv"/>).</summary>
    public static byte[] Csv(Campaign campaign, IReadOnlyList<LedgerPledge> gifts) =>
        ExcelCsv.Write(CsvColumns, gifts.Select(p => new[]
        {
            p.Pledge.Id, p.Pledge.DisplayName, p.Pledge.Anonymous ? "是" : "否", p.Pledge.ProjectId, campaign.FindProject(p.Pledge.ProjectId)?.Name,
            ExcelCsv.Yuan(p.Pledge.Amount), ExcelCsv.Fen(p.Pledge.Amount), ExcelCsv.Yuan(p.Matched), ExcelCsv.Fen(p.Matched),
            ExcelCsv.Channel(p.Pledge.Channel), ExcelCsv.BeijingTime(p.Pledge.AcceptedAt),
        }));
}
