using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;

namespace GivingDay.Totals;

/// <summary>One fund's pool as the shards of a campaign share it: the pool, and per holder (a shard's lane, <see cref="Key"/>)
/// what it was allotted and what it gave back. Both only ever grow, so a stale copy can only make a holder ask again, never
/// spend what is not its own.</summary>
public sealed class FundShares
{
    public long Pool { get; set; }
    /// <summary>Holder (<see cref="Key"/>) → fen allotted to it, in all.</summary>
    public Dictionary<string, long> Allotted { get; set; } = new();
    /// <summary>Holder → fen it released (committed in its own totals row first) and that is free again, in all.</summary>
    public Dictionary<string, long> Returned { get; set; } = new();

    public long AllottedTo(string holder) => Allotted.GetValueOrDefault(holder);
    public long ReturnedBy(string holder) => Returned.GetValueOrDefault(holder);
    /// <summary>Held by shards: allotted and not returned (used, or theirs to use).</summary>
    public long Reserved => Allotted.Values.Sum() - Returned.Values.Sum();
    public long Free => Math.Max(0, Pool - Reserved);
    /// <summary>The last reclaim left no shard holding unused money, and nothing was allotted since: a shard short of money
    /// need not reclaim again (the fund is used up until the pool is raised).</summary>
    public bool Drained { get; set; }

    /// <summary>Who holds an allotment: a shard's lane, whose totals row records what it used and released. Lane 0 is the
    /// shard's number alone (as before lanes), lane k ≥ 1 is <c>{shard}.{k}</c>.</summary>
    public static string Key(int shard, int lane) =>
        lane == 0 ? shard.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{shard}.{lane}");

    public static (int Shard, int Lane) Parse(string holder) =>
        holder.IndexOf('.') is var dot and >= 0
            ? (int.Parse(holder.AsSpan(0, dot), CultureInfo.InvariantCulture), int.Parse(holder.AsSpan(dot + 1), CultureInfo.InvariantCulture))
            : (int.Parse(holder, CultureInfo.InvariantCulture), 0);
}

/// <summary>The matching pools of a sharded campaign, so that no pool is overdrawn across shards. The fund row (<c>funds</c>,
/// in the campaign's own partition) holds each pool and each holder's (a shard's lane's) allotment and returns, replaced under
/// its ETag. A holder matches only from its allotment (allotted − used − released, where used and released are in its totals
/// row, committed with its counting); when a step needs more it draws a grant (the free money ÷ 2·shards, at least what it
/// lacks); when the free money is not enough it reclaims what the other holders hold unused (released in their totals rows
/// under their ETags, then returned in the fund row). So the sum of what holders match is at most the sum of allotments,
/// which is at most the pool. Grants carry headroom (a share of the free money) only while a quarter of the pool or more is
/// free; below that a shard draws exactly what its step lacks, so the last fen goes to whoever asks for it
/// (docs/storage.md, "Past one partition").</summary>
public sealed class FundAllotments(StorageAccount account, ResiliencePipelineProvider<string> pipelines)
{
    public const string RowKey = "funds";

    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);

    public async Task<(Dictionary<string, FundShares> Funds, ETag? ETag)> ReadAsync(string campaignId, CancellationToken ct)
    {
        var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
            (await _ledger.GetEntityIfExistsAsync<TableEntity>(campaignId, RowKey, cancellationToken: t)) is { HasValue: true } r ? r.Value : null, ct);
        return row is null ? (new(StringComparer.Ordinal), null)
            : (JsonSerializer.Deserialize<Dictionary<string, FundShares>>(row.GetString("Funds") ?? "{}", GivingDayJson.Options) ?? new(StringComparer.Ordinal), row.ETag);
    }

    private async Task WriteAsync(string campaignId, Dictionary<string, FundShares> funds, ETag? etag, CancellationToken ct)
    {
        var row = new TableEntity(campaignId, RowKey) { ["Funds"] = JsonSerializer.Serialize(funds, GivingDayJson.Options) };
        await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
        {
            if (etag is { } e) await _ledger.UpdateEntityAsync(row, e, TableUpdateMode.Replace, t);
            else await _ledger.AddEntityAsync(row, t);
        }, ct);
    }

    /// <summary>Makes sure the holder (a shard's lane: <see cref="FundShares.Key"/>) holds <paramref name="wanted"/> (per fund,
    /// what its step would match with no pool limit) beyond what it used and released, as far as the pools allow. Returns what
    /// the holder is allotted per fund.</summary>
    public async Task<Dictionary<string, long>> DrawAsync(Campaign campaign, string holder, IReadOnlyDictionary<string, long> wanted, TotalsState shardState, CancellationToken ct)
    {
        for (var pass = 0; ; pass++)
        {
            var request = new Draw(campaign, holder, wanted, shardState);
            var draws = _draws.GetOrAdd(campaign.Id, _ => new Draws());
            bool run;
            lock (draws) { draws.Waiting.Add(request); run = !draws.Running; draws.Running = true; }
            if (run) _ = DrawWaitingAsync(draws);
            var (allotted, reclaim) = await request.Done.Task.WaitAsync(ct);
            if (!reclaim || pass == 1) return allotted;
            await ReclaimAsync(campaign.Id, except: holder, ct);
        }
    }

    // The draws of one campaign in this instance go to the fund row one read and one write at a time, each for all the draws
    // that waited meanwhile: the shards an instance counts start together and would otherwise race one another for the row,
    // a round trip or more lost per race. Keyed by campaign.
    private readonly ConcurrentDictionary<string, Draws> _draws = new(StringComparer.Ordinal);

    private sealed class Draws
    {
        public List<Draw> Waiting { get; set; } = [];
        public bool Running { get; set; }
    }

    /// <summary>A draw waiting for the fund row. Done: what the holder is allotted per fund, and whether it is still short
    /// while other holders may hold unused money (worth a reclaim).</summary>
    private sealed record Draw(Campaign Campaign, string Holder, IReadOnlyDictionary<string, long> Wanted, TotalsState ShardState)
    {
        public TaskCompletionSource<(Dictionary<string, long> Allotted, bool StillShort)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task DrawWaitingAsync(Draws draws)
    {
        while (true)
        {
            List<Draw> batch;
            lock (draws)
            {
                if (draws.Waiting.Count == 0) { draws.Running = false; return; }
                (batch, draws.Waiting) = (draws.Waiting, []);
            }
            try
            {
                // Not a caller's token: the write serves every draw of the batch (the storage pipeline bounds it).
                var results = await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async t =>
                {
                    var (funds, etag) = await ReadAsync(batch[0].Campaign.Id, t);
                    var changed = false;
                    // In the order asked: each grant comes out of what the draws before it left free.
                    var granted = batch.Select(d => Grant(d, funds, ref changed)).ToList();
                    if (changed) await WriteAsync(batch[0].Campaign.Id, funds, etag, t);
                    return granted;
                }, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var d in batch) d.Done.TrySetException(e);
            }
        }
    }

    /// <summary>One draw on the fund row as read (changed in place): tops the holder up to what it wants, with headroom while
    /// a quarter of the pool or more is free.</summary>
    private static (Dictionary<string, long> Allotted, bool StillShort) Grant(Draw d, Dictionary<string, FundShares> funds, ref bool changed)
    {
        var allotted = new Dictionary<string, long>(StringComparer.Ordinal);
        var stillShort = false;
        foreach (var (fundId, shares) in funds) allotted[fundId] = shares.AllottedTo(d.Holder);
        foreach (var (fundId, want) in d.Wanted)
        {
            if (!funds.TryGetValue(fundId, out var shares)) continue; // no pool (yet): nothing to draw
            // What this shard released but the fund row does not show returned yet (a reclaim stopped half way).
            if (d.ShardState.Released(fundId) > shares.ReturnedBy(d.Holder)) { shares.Returned[d.Holder] = d.ShardState.Released(fundId); changed = true; }
            var lacking = want - (shares.AllottedTo(d.Holder) - d.ShardState.Used(fundId) - d.ShardState.Released(fundId));
            if (lacking > 0)
            {
                var headroom = shares.Free >= shares.Pool / 4 ? shares.Free / (2L * d.Campaign.Shards) : 0;
                var grant = Math.Min(shares.Free, lacking + headroom);
                if (grant > 0) { shares.Allotted[d.Holder] = shares.AllottedTo(d.Holder) + grant; shares.Drained = false; changed = true; }
                // Short, and other holders may hold unused money: worth a reclaim.
                if (grant < lacking && !shares.Drained) stillShort = true;
            }
            allotted[fundId] = shares.AllottedTo(d.Holder);
        }
        return (allotted, stillShort);
    }

    /// <summary>Sets each fund's pool (the organiser's change). A pool may not go below what the shards hold: what they
    /// hold unused is reclaimed first. Returns the first fund whose new pool is still below what the shards hold, with
    /// that amount; null when every pool is set.</summary>
    public async Task<(int Index, long Reserved)?> SetPoolsAsync(string campaignId, IReadOnlyList<MatchingFund> pools, CancellationToken ct)
    {
        for (var pass = 0; ; pass++)
        {
            var below = await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync<(int, long)?>(async t =>
            {
                var (funds, etag) = await ReadAsync(campaignId, t);
                for (var i = 0; i < pools.Count; i++)
                {
                    var shares = funds.TryGetValue(pools[i].Id, out var s) ? s : funds[pools[i].Id] = new FundShares();
                    if (pools[i].Pool.Fen < shares.Reserved) return (i, shares.Reserved);
                    if (pools[i].Pool.Fen > shares.Pool) shares.Drained = false;
                    shares.Pool = pools[i].Pool.Fen;
                }
                await WriteAsync(campaignId, funds, etag, t);
                return null;
            }, ct);
            if (below is null || pass == 2) return below;
            await ReclaimAsync(campaignId, except: null, ct);
        }
    }

    /// <summary>Takes back what holders (shards' lanes) hold unused: in each one's totals row, under its ETag, its unused
    /// allotment is marked released (a step of that lane committing at the same moment makes this read the row again: the
    /// lane's counting and the release never both spend the same money); then the fund row shows it returned, free for any
    /// holder, and drained if nothing was allotted meanwhile.</summary>
    /// <param name="except">The holder asking (its own allotment is not taken back), or null.</param>
    public async Task ReclaimAsync(string campaignId, string? except, CancellationToken ct)
    {
        var (funds, _) = await ReadAsync(campaignId, ct);
        var released = new ConcurrentDictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        var storage = pipelines.GetPipeline(StoragePipelines.Storage);
        var holders = funds.Values.SelectMany(f => f.Allotted.Keys).Distinct(StringComparer.Ordinal).Where(k => k != except);
        await Parallel.ForEachAsync(holders, ct, async (k, token) =>
        {
            if (!funds.Values.Any(f => f.AllottedTo(k) > f.ReturnedBy(k))) return;
            var (shard, lane) = FundShares.Parse(k);
            var partition = ShardLayout.Partition(campaignId, shard);
            await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async t =>
            {
                var (state, etag) = await TotalsState.ReadAsync(_ledger, storage, partition, t, lane);
                var changed = false;
                foreach (var (fundId, shares) in funds)
                {
                    var unused = shares.AllottedTo(k) - state.Used(fundId) - state.Released(fundId);
                    if (unused > 0) { state.FundReleased[fundId] = state.Released(fundId) + unused; changed = true; }
                }
                if (changed) await state.WriteAsync(_ledger, storage, partition, etag, t, lane);
                released[k] = state.FundReleased;
            }, token);
        });
        await pipelines.GetPipeline(StoragePipelines.LostRace).ExecuteAsync(async t =>
        {
            var (current, etag) = await ReadAsync(campaignId, t);
            foreach (var (fundId, shares) in current)
            {
                foreach (var (k, byFund) in released)
                    if (byFund.GetValueOrDefault(fundId) > shares.ReturnedBy(k)) shares.Returned[k] = byFund[fundId];
                // Every shard's unused money is back, unless a shard was allotted more since this reclaim read the row.
                var before = funds.GetValueOrDefault(fundId);
                shares.Drained = before is not null && shares.Allotted.Values.Sum() == before.Allotted.Values.Sum();
            }
            await WriteAsync(campaignId, current, etag, t);
        }, ct);
    }
}
