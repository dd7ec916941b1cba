using System.Text.Json;
using System.Text.Json.Serialization;
using GivingDay.Amounts;
using GivingDay.Campaigns;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Snapshots;
using GivingDay.Totals;

namespace GivingDay.Json;

/// <summary>Source-generated JSON metadata for what the app stores and queues: the queue messages, the campaign and
/// totals documents in tables, the snapshot and checkpoint documents. <see cref="GivingDayJson.Options"/> asks it first,
/// so none of these is read or written by reflection (the first pledge after a cold start included).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PledgeBatchMessage))]
[JsonSerializable(typeof(CloseMessage))]
[JsonSerializable(typeof(Campaign))]
[JsonSerializable(typeof(TotalsState))]
[JsonSerializable(typeof(Dictionary<string, FundShares>))]
[JsonSerializable(typeof(Dictionary<string, Money>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(long[][]))]
[JsonSerializable(typeof(ProgressSnapshot))]
[JsonSerializable(typeof(Checkpoint))]
[JsonSerializable(typeof(IReadOnlyList<SnapshotInfo>))]
public sealed partial class GivingDayJsonContext : JsonSerializerContext;
