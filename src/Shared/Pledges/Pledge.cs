using System.Text.Json.Serialization;
using Azure.Data.Tables;
using GivingDay.Amounts;
using GivingDay.Totals;

namespace GivingDay.Pledges;

public static class Channels
{
    public const string Online = "online";
    public const string Offline = "offline";
}

/// <summary>An accepted pledge as the ledger keeps it. No contact: only its keyed hash. The full display name (as the donor
/// or the organiser's staff typed it) is kept in the pledge row only, for the organiser's donor list (thank-you letters,
/// receipts): never in queue messages, the public ledger or snapshots, which carry the masked name.</summary>
public sealed record Pledge(
    string Id,
    string CampaignId,
    string ProjectId,
    Money Amount,
    string? DonorHash,
    string? MaskedName,
    string? Message,
    string Channel,
    DateTimeOffset AcceptedAt,
    string Fingerprint,
    [property: JsonIgnore] string? DisplayName = null,
    [property: JsonIgnore] bool Anonymous = false);

/// <summary>A pledge row with what counting added to it.</summary>
public sealed record LedgerPledge(Pledge Pledge, bool Counted, Money Matched, string? FundId, DateTimeOffset? CountedAt)
{
    public string Status => Counted ? "counted" : "accepted";
}

/// <summary>Row keys of the ledger table. Every row of a campaign shares its partition (the campaign id),
/// so a pledge and its outbox marker, or a counting step and the totals, commit in one transaction.
/// docs/storage.md explains each.</summary>
public static class LedgerKeys
{
    public const string State = "state";

    /// <summary>A shard's totals row for one writing lane (<see cref="ShardLayout.Lanes"/>): lane 0 is <c>state</c>, so a
    /// campaign that never needs another lane is laid out as before lanes existed.</summary>
    public static string StateOf(int lane) => lane == 0 ? State : State + "|" + lane.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public const string PledgePrefix = "p|";
    public const string MarkerPrefix = "q|";
    /// <summary>The first key past every pledge row ('}' sorts after '|'): a range of them is [PledgePrefix, PledgeEnd).</summary>
    public const string PledgeEnd = "p}";
    /// <summary>The first key past every outbox marker: [MarkerPrefix, MarkerEnd).</summary>
    public const string MarkerEnd = "q}";

    public static string Pledge(string id) => PledgePrefix + id;
    /// <summary>An outbox marker: one per intake transaction, listing the pledges of it not yet counted.</summary>
    public static string Marker(string id) => MarkerPrefix + id;
    public static string Donor(string donorHash) => "d|" + donorHash;
    /// <summary>One row per imported offline file (its SHA-256), so the same file adds nothing twice.</summary>
    public static string OfflineFile(string sha256) => "f|" + sha256;
    /// <summary>An Idempotency-Key's claim in a sharded campaign: its pledge id, with the body's fingerprint, in the shard
    /// the id gives (<see cref="ShardLayout.ClaimShardOf"/>), whoever the donor is; a key sent again with another contact
    /// (so another donor's shard) still meets it.</summary>
    public static string Claim(string pledgeId) => "k|" + pledgeId;
}

public static class PledgeRows
{
    /// <summary>Every pledge row of a campaign, oldest first (acceptance time, then id): the ledger as the final snapshot
    /// and the organiser's donor list read it.</summary>
    /// <param name="shards">The campaign's shard count: every shard's pledges are read, at once.</param>
    public static async Task<IReadOnlyList<LedgerPledge>> ReadAllAsync(TableClient ledger, Polly.ResiliencePipeline pipeline, string campaignId, int shards, CancellationToken ct)
    {
        var rows = await ShardLayout.QueryAsync(ledger, pipeline, campaignId, shards,
            partition => TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {LedgerKeys.PledgePrefix} and RowKey lt {LedgerKeys.PledgeEnd}"), null, ct);
        return rows.Select(FromRow).OrderBy(p => p.Pledge.AcceptedAt).ThenBy(p => p.Pledge.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The pledge row, wherever it is among the campaign's shards (its id does not say which): point reads, at once.</summary>
    public static async Task<TableEntity?> FindAsync(TableClient ledger, Polly.ResiliencePipeline pipeline, string campaignId, int shards, string pledgeId, CancellationToken ct)
    {
        var found = await Task.WhenAll(ShardLayout.Partitions(campaignId, shards).Select(partition => pipeline.ExecuteAsync(async t =>
            (await ledger.GetEntityIfExistsAsync<TableEntity>(partition, LedgerKeys.Pledge(pledgeId), cancellationToken: t)) is { HasValue: true } r ? r.Value : null, ct).AsTask()));
        return found.FirstOrDefault(r => r is not null);
    }

    /// <summary>The pledge row in the campaign's own partition (a one-shard campaign, or an offline gift).</summary>
    public static TableEntity ToRow(Pledge p) => RowIn(p, p.CampaignId);

    /// <param name="partition">The pledge's shard (<see cref="ShardLayout.Partition"/>).</param>
    private static TableEntity RowIn(Pledge p, string partition) => new(partition, LedgerKeys.Pledge(p.Id))
    {
        ["ProjectId"] = p.ProjectId,
        ["Amount"] = p.Amount.Fen,
        ["DonorHash"] = p.DonorHash,
        ["MaskedName"] = p.MaskedName,
        ["Message"] = p.Message,
        ["Channel"] = p.Channel,
        ["AcceptedAt"] = p.AcceptedAt,
        ["Fingerprint"] = p.Fingerprint,
        ["DisplayName"] = p.DisplayName,
        ["Anonymous"] = p.Anonymous,
        ["Counted"] = false,
        ["Matched"] = 0L,
    };

    /// <summary>The pledge row with the id of the outbox marker that lists it until it is counted.</summary>
    public static TableEntity ToRow(Pledge p, string partition, string markerId)
    {
        var row = RowIn(p, partition);
        row["Marker"] = markerId;
        return row;
    }

    /// <summary>The outbox marker of pledges stored in one transaction: it lists those not yet counted, so one
    /// marker costs one write for a whole batch, and counting shortens it (or deletes it) under its ETag.</summary>
    public static TableEntity MarkerRow(string partition, string markerId, IEnumerable<Pledge> pledges)
    {
        var list = pledges.ToList();
        return new(partition, LedgerKeys.Marker(markerId))
        {
            ["AcceptedAt"] = list.Min(p => p.AcceptedAt),
            ["Pledges"] = string.Join(',', list.Select(p => p.Id)),
        };
    }

    /// <summary>The pledge ids a marker lists. A marker from before batch markers has no list: it marks the one
    /// pledge whose id it carries.</summary>
    public static IReadOnlyList<string> MarkedPledges(TableEntity marker) =>
        marker.GetString("Pledges") is { Length: > 0 } list ? list.Split(',') : [marker.RowKey[LedgerKeys.MarkerPrefix.Length..]];

    /// <summary>The marker a stored pledge is listed in (before batch markers: a marker of its own id).</summary>
    public static string MarkerOf(TableEntity pledgeRow) =>
        pledgeRow.GetString("Marker") ?? pledgeRow.RowKey[LedgerKeys.PledgePrefix.Length..];

    public static LedgerPledge FromRow(TableEntity row)
    {
        var pledge = new Pledge(
            row.RowKey[LedgerKeys.PledgePrefix.Length..],
            ShardLayout.CampaignOf(row.PartitionKey),
            row.GetString("ProjectId"),
            new Money(row.GetInt64("Amount") ?? 0),
            row.GetString("DonorHash"),
            row.GetString("MaskedName"),
            row.GetString("Message"),
            row.GetString("Channel") ?? Channels.Online,
            row.GetDateTimeOffset("AcceptedAt") ?? default,
            row.GetString("Fingerprint") ?? "",
            row.GetString("DisplayName"),
            row.GetBoolean("Anonymous") ?? false);
        return new LedgerPledge(pledge, row.GetBoolean("Counted") ?? false, new Money(row.GetInt64("Matched") ?? 0),
            row.GetString("FundId"), row.GetDateTimeOffset("CountedAt"));
    }
}

/// <summary>The pledge queue's message: a batch of accepted pledges of one campaign, as intake committed them,
/// with the outbox marker that lists them and its ETag as committed (so counting needs no read to use it).
/// Without a marker (a message queued again for one pledge), counting reads where the pledges stand.
/// <paramref name="TraceParent"/> (W3C) continues the trace of the request that stored the first of these pledges
/// into the counting step.
/// <paramref name="Shard"/>: the counting shard the pledges are stored in (<see cref="ShardLayout"/>).
/// <paramref name="CreatedActivity"/>: pledge id → ETag of the velocity activity row that pledge created, for the pledges that
/// did (<see cref="ActivityRows"/>): counting confirms those rows instead of reading them. Absent: counting reads.
/// <paramref name="Parts"/>: a flush of more than one part in one message (a sharded campaign's shards, or a part queued again
/// without its marker): the pledges listed part by part, each part one shard's and one marker's (its shard, its marker, how
/// many pledges); <paramref name="Marker"/> and <paramref name="Shard"/> are then unused. So a campaign's messages keep the
/// size of its flushes whatever its shard count, instead of one small message per shard.</summary>
public sealed record PledgeBatchMessage(string CampaignId, IReadOnlyList<Pledge> Pledges, MarkerRef? Marker = null, string? TraceParent = null, int Shard = 0,
    IReadOnlyDictionary<string, string>? CreatedActivity = null, IReadOnlyList<ShardPart>? Parts = null)
{
    /// <summary>The message as one message per shard: its parts, or itself when it has none.</summary>
    public IReadOnlyList<PledgeBatchMessage> ByShard()
    {
        if (Parts is not { Count: > 0 }) return [this];
        if (Parts.Any(p => p.Count < 0) || Parts.Sum(p => (long)p.Count) != Pledges.Count)
            throw new InvalidOperationException($"a message of campaign {CampaignId} lists {Pledges.Count} pledges in parts of {string.Join("+", Parts.Select(p => p.Count))}");
        var messages = new List<PledgeBatchMessage>(Parts.Count);
        var at = 0;
        foreach (var part in Parts)
        {
            var pledges = Pledges.Skip(at).Take(part.Count).ToList();
            at += part.Count;
            // The message's map covers all its pledges stored in this flush, so each such part's share of it covers that part's
            // (empty: none created one). A part queued again without its marker was stored by an earlier request: its pledges'
            // rows are not this flush's to vouch for.
            var ids = pledges.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            var created = part.Marker is null ? null : CreatedActivity?.Where(c => ids.Contains(c.Key)).ToDictionary(StringComparer.Ordinal);
            messages.Add(new PledgeBatchMessage(CampaignId, pledges, part.Marker, TraceParent, part.Shard, created));
        }
        return messages;
    }
}

/// <summary>One shard's pledges in a <see cref="PledgeBatchMessage"/>: the next <paramref name="Count"/> pledges of its list,
/// stored in <paramref name="Shard"/> under <paramref name="Marker"/> (null: queued again without one, counting reads).</summary>
public sealed record ShardPart(int Shard, MarkerRef? Marker, int Count);

public sealed record MarkerRef(string Id, string ETag);
