using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Telemetry;
using GivingDay.Totals;
using Microsoft.Extensions.Logging;
using Polly.Registry;

namespace GivingDay.Pledges;

public abstract record IntakeOutcome
{
    /// <summary>Durably stored (now or by an earlier request with the same key and body).</summary>
    public sealed record Accepted(Pledge Pledge) : IntakeOutcome;
    /// <summary>The key was used before with another body.</summary>
    public sealed record KeyReused : IntakeOutcome;
    /// <summary>The same key is being stored right now.</summary>
    public sealed record InFlight : IntakeOutcome;
    /// <summary>The campaign stopped taking pledges (closed, or past its end) before this one was stored.</summary>
    public sealed record NotOpen(CampaignStatus Status) : IntakeOutcome;
}

/// <summary>Stores accepted pledges and queues them for counting, by group commit: pledges arriving
/// together share one table transaction (their rows and one outbox marker listing them) and one queue message.
/// Under load that is a few storage calls per 48 pledges instead of two per pledge.</summary>
public sealed class PledgeIntake : IAsyncDisposable
{
    /// <summary>48 pledges make a queue message well under its 64 KiB (Base64) with long messages and names; their rows and the
    /// marker are one transaction, their activity rows another.</summary>
    public const int MaxBatch = 48;
    /// <summary>Flushes committing at once. Each takes what waited while the others committed: fewer make larger batches, so
    /// fewer storage calls a pledge. Two, not four: at full speed on a 2-core machine intake took 627 pledges/s at 0.43 calls
    /// each instead of 441 at 0.59, with a lower p50 (scripts/bench.sh --seconds 20 --shards 1); one would leave a flush's
    /// pledges waiting for the whole of the previous one at any load.</summary>
    private const int FlushesInFlight = 2;

    private readonly StorageAccount _account;
    private readonly ResiliencePipelineProvider<string> _pipelines;
    private readonly CampaignStore _campaigns;
    private readonly TimeProvider _clock;
    private readonly ILogger<PledgeIntake> _log;
    private readonly TableClient _ledger;
    private readonly ActivityRows _activity;
    private readonly QueueClient _queue;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentDictionary<string, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task[]> _flushers;

    public PledgeIntake(StorageAccount account, ResiliencePipelineProvider<string> pipelines, CampaignStore campaigns, TimeProvider clock, ILogger<PledgeIntake> log)
    {
        _account = account; _pipelines = pipelines; _campaigns = campaigns; _clock = clock; _log = log;
        _ledger = account.Table(StorageNames.LedgerTable);
        _activity = new ActivityRows(account.Table(StorageNames.ActivityTable), pipelines.GetPipeline(StoragePipelines.IntakeStore));
        _queue = account.Queue(StorageNames.PledgeQueue);
        _flushers = new(() => Enumerable.Range(0, FlushesInFlight).Select(_ => Task.Run(FlushLoop)).ToArray());
    }

    private sealed record Pending(Pledge Pledge, bool RecordActivity, bool Keyed, TaskCompletionSource<IntakeOutcome> Done, ActivityContext Trace);

    /// <summary>Stores the pledge durably, then queues it. The answer comes once the pledge is stored.</summary>
    /// <param name="keyed">The pledge id comes from an Idempotency-Key (in a sharded campaign the key is claimed apart
    /// from the donor's shard, so that the key sent again with another contact still meets it).</param>
    public async Task<IntakeOutcome> AcceptAsync(Pledge pledge, bool recordActivity, CancellationToken ct, bool keyed = false)
    {
        if (!_inFlight.TryAdd(Key(pledge), 0)) return new IntakeOutcome.InFlight();
        try
        {
            _ = _flushers.Value;
            var pending = new Pending(pledge, recordActivity, keyed, new(TaskCreationOptions.RunContinuationsAsynchronously), Activity.Current?.Context ?? default);
            await _pending.Writer.WriteAsync(pending, ct);
            // Not cancelled with the request: once queued for commit the pledge may be stored, and the
            // answer must then say so (a retry with the same key gets the same answer either way).
            return await pending.Done.Task;
        }
        finally { _inFlight.TryRemove(Key(pledge), out _); }
    }

    private static string Key(Pledge p) => p.CampaignId + "/" + p.Id;

    private async Task FlushLoop()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var p)) batch.Add(p);
            if (batch.Count == 0) continue;
            foreach (var campaign in batch.GroupBy(p => p.Pledge.CampaignId))
            {
                var items = campaign.ToList();
                try { await FlushAsync(campaign.Key, items, _stopping.Token); }
                catch (Exception e)
                {
                    _log.LogError(e, "Storing {Count} pledges of {Campaign} failed", items.Count, campaign.Key);
                    foreach (var item in items) item.Done.TrySetException(e);
                }
            }
        }
    }

    private async Task FlushAsync(string campaignId, List<Pending> items, CancellationToken ct)
    {
        // The first request's trace continues through the commit and the queue message to counting; the others link to it.
        using var activity = GivingDayTelemetry.Source.StartActivity("store pledges", ActivityKind.Internal, items[0].Trace,
            links: items.Skip(1).Where(i => i.Trace != default).Select(i => new ActivityLink(i.Trace)));
        activity?.SetTag("givingday.campaign", campaignId);
        activity?.SetTag("givingday.pledges", items.Count);
        // Read fresh, once per flush: a close on any instance stops intake here at once.
        var campaign = await _campaigns.GetAsync(campaignId, ct, fresh: true);
        var now = _clock.GetUtcNow();
        if (campaign is null || !campaign.IsOpenAt(now))
        {
            var status = campaign?.StatusAt(now) ?? CampaignStatus.Closed;
            foreach (var item in items) item.Done.TrySetResult(new IntakeOutcome.NotOpen(status));
            return;
        }
        if (campaign.Shards == 1)
        {
            var stored = await StoreShardAsync(campaignId, 0, items, ct);
            await EnqueueAsync(campaignId, stored.Parts, stored.Created, ct);
            return;
        }
        // Each shard's pledges in a transaction of their own, at once; then one message for the flush, in parts by shard.
        var unclaimed = await ClaimKeysAsync(campaign, items, ct);
        var storing = unclaimed.GroupBy(i => ShardLayout.ShardOf(i.Pledge, campaign.Shards))
            .Select(shard => StoreShardAsync(campaignId, shard.Key, shard.ToList(), ct)).ToList();
        try { await Task.WhenAll(storing); }
        finally
        {
            // A shard whose store failed fails its own pledges (FlushLoop); the others' are stored and answered: queue them still.
            // The store's failure is the one to report: a failure to queue is only logged (the re-drive queues those later).
            var stored = storing.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
            try { await EnqueueAsync(campaignId, stored.SelectMany(s => s.Parts).ToList(), stored.SelectMany(s => s.Created).ToDictionary(StringComparer.Ordinal), ct); }
            catch (Exception e) when (storing.Any(t => t.IsFaulted))
            {
                _log.LogWarning(e, "Queueing the stored pledges of {Campaign} failed beside a failed store; the re-drive will queue them", campaignId);
            }
        }
    }

    /// <summary>Pledges stored in one shard under one marker (null: stored before, queued again without it).</summary>
    private sealed record StoredPart(int Shard, List<Pledge> Pledges, MarkerRef? Marker);

    /// <summary>Claims the Idempotency-Keys of a sharded campaign's keyed pledges (a create-only row per key, in the shard its
    /// pledge id gives, one transaction per shard). A key claimed before by the same body goes on to be stored (the pledge
    /// row then says whether it was); by another body it is refused. Returns the pledges to store.</summary>
    private async Task<List<Pending>> ClaimKeysAsync(Campaign campaign, List<Pending> items, CancellationToken ct)
    {
        var keyed = items.Where(i => i.Keyed).ToList();
        if (keyed.Count == 0) return items;
        var refused = new ConcurrentDictionary<Pending, byte>();
        await Task.WhenAll(keyed.GroupBy(i => ShardLayout.ClaimShardOf(i.Pledge.Id, campaign.Shards)).Select(async group =>
        {
            var partition = ShardLayout.Partition(campaign.Id, group.Key);
            foreach (var taken in await AddClaimsAsync(partition, group.ToList(), ct))
            {
                var claim = await _pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
                    await _ledger.GetEntityIfExistsAsync<TableEntity>(partition, LedgerKeys.Claim(taken.Pledge.Id), cancellationToken: t), ct);
                if (claim.HasValue && claim.Value!.GetString("Fingerprint") != taken.Pledge.Fingerprint)
                {
                    taken.Done.TrySetResult(new IntakeOutcome.KeyReused());
                    refused[taken] = 0;
                }
            }
        }));
        return items.Where(i => !refused.ContainsKey(i)).ToList();
    }

    /// <summary>Adds the claim rows in one transaction; returns the pledges whose claim was there already.</summary>
    private async Task<List<Pending>> AddClaimsAsync(string partition, List<Pending> items, CancellationToken ct)
    {
        static TableEntity Claim(string partition, Pledge p) => new(partition, LedgerKeys.Claim(p.Id)) { ["Fingerprint"] = p.Fingerprint };
        var taken = new List<Pending>();
        var remaining = items;
        while (remaining.Count > 0)
        {
            try
            {
                await _pipelines.GetPipeline(StoragePipelines.IntakeStore).ExecuteAsync(async t =>
                    await _ledger.SubmitTransactionAsync(remaining.Select(i => new TableTransactionAction(TableTransactionActionType.Add, Claim(partition, i.Pledge))), t), ct);
                break;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex is int index && index < remaining.Count)
            {
                taken.Add(remaining[index]);
                remaining = remaining.Where((_, i) => i != index).ToList();
            }
            catch (Exception e) when (TransactionReplies.IsUnreadableFailure(e))
            {
                foreach (var one in remaining)
                {
                    try { await _pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t => await _ledger.AddEntityAsync(Claim(partition, one.Pledge), t), ct); }
                    catch (RequestFailedException exists) when (exists.Status == 409) { taken.Add(one); }
                }
                break;
            }
        }
        return taken;
    }

    /// <summary>Stores one shard's pledges of a flush (a one-shard campaign's: all of them); returns what to queue: the parts
    /// stored, and the ETags of the velocity rows they created.</summary>
    private async Task<(List<StoredPart> Parts, Dictionary<string, string> Created)> StoreShardAsync(string campaignId, int shard, List<Pending> items, CancellationToken ct)
    {
        var partition = ShardLayout.Partition(campaignId, shard);
        var created = await RecordActivityAsync(partition, items, ct);
        var committed = new List<(List<Pledge> Pledges, MarkerRef? Marker)>();
        var requeue = new List<Pledge>();
        var remaining = items;
        while (remaining.Count > 0)
        {
            CommitResult result;
            try { result = await TryCommitAsync(partition, remaining, ct); }
            catch (Exception e) when (TransactionReplies.IsUnreadableFailure(e))
            {
                // Which pledge conflicted is unknown: a single one is that one; more are committed one by one.
                if (remaining.Count == 1) result = new CommitResult(0, null);
                else
                {
                    foreach (var single in remaining) await FlushOneAsync(partition, single, committed, requeue, ct);
                    break;
                }
            }
            if (result.Failed is null)
            {
                committed.Add((remaining.Select(i => i.Pledge).ToList(), result.Marker));
                foreach (var item in remaining) item.Done.TrySetResult(new IntakeOutcome.Accepted(item.Pledge));
                break;
            }
            // One pledge id is already in the ledger: an earlier request with the same key (or our own
            // commit whose answer was lost). Settle that one on its own, then commit the rest.
            var conflicting = remaining[result.Failed.Value];
            var (outcome, again) = await SettleExistingAsync(conflicting.Pledge, partition, ct);
            if (again is not null) requeue.Add(again);
            conflicting.Done.TrySetResult(outcome);
            remaining = remaining.Where(i => i != conflicting).ToList();
        }

        var parts = committed.Select(c => new StoredPart(shard, c.Pledges, c.Marker)).ToList();
        if (requeue.Count > 0) parts.Add(new StoredPart(shard, requeue, null));
        return (parts, created);
    }

    private async Task FlushOneAsync(string partition, Pending item, List<(List<Pledge>, MarkerRef?)> committed, List<Pledge> requeue, CancellationToken ct)
    {
        CommitResult result;
        try { result = await TryCommitAsync(partition, [item], ct); }
        catch (Exception e) when (TransactionReplies.IsUnreadableFailure(e)) { result = new CommitResult(0, null); }
        if (result.Failed is null)
        {
            committed.Add(([item.Pledge], result.Marker));
            item.Done.TrySetResult(new IntakeOutcome.Accepted(item.Pledge));
            return;
        }
        var (outcome, again) = await SettleExistingAsync(item.Pledge, partition, ct);
        if (again is not null) requeue.Add(again);
        item.Done.TrySetResult(outcome);
    }

    /// <summary>The velocity activity of the pledges (donors with a contact, while a fund can match), in the <c>activity</c>
    /// table's partition of the shard (<see cref="ActivityRows"/>), written before the pledges: a pledge is never stored without
    /// its activity (the rule could miss it); activity stored for a pledge that then is not (a failed flush) only makes the rule
    /// stricter for that donor for a minute, and a retry writes the same rows again. Kept out of the ledger partition, so its
    /// writes do not count against the pledge partition.
    /// Returns the ETags of the rows pledges created (<see cref="ActivityRows.WriteAsync"/>), for the queue message.</summary>
    private Task<Dictionary<string, string>> RecordActivityAsync(string partition, List<Pending> items, CancellationToken ct) =>
        _activity.WriteAsync(partition, items.Where(i => i.RecordActivity && i.Pledge.DonorHash is not null).Select(i => i.Pledge).ToList(), ct);

    /// <summary>Failed: null on success, or the index of the item whose row already exists. Marker: the outbox
    /// marker committed with the pledges, with its ETag (null if the reply did not carry one).</summary>
    private sealed record CommitResult(int? Failed, MarkerRef? Marker);

    /// <summary>Commits pledge rows and one outbox marker listing the pledges, in one transaction.</summary>
    private async Task<CommitResult> TryCommitAsync(string partition, List<Pending> items, CancellationToken ct)
    {
        var markerId = DonorIdentity.NewPledgeId();
        var actions = new List<TableTransactionAction>(items.Count * 2 + 1);
        var owner = new List<int>(items.Count * 2 + 1);
        for (var i = 0; i < items.Count; i++)
        {
            var p = items[i].Pledge;
            actions.Add(new(TableTransactionActionType.Add, PledgeRows.ToRow(p, partition, markerId))); owner.Add(i);
        }
        actions.Add(new(TableTransactionActionType.Add, PledgeRows.MarkerRow(partition, markerId, items.Select(i => i.Pledge))));
        try
        {
            var replies = await _pipelines.GetPipeline(StoragePipelines.IntakeStore).ExecuteAsync(
                async token => (await _ledger.SubmitTransactionAsync(actions, token)).Value, ct);
            var etag = replies.Count == actions.Count ? replies[^1]?.Headers.ETag : null;
            return new CommitResult(null, etag is { } e ? new MarkerRef(markerId, e.ToString()) : null);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex is int index && index < owner.Count)
        {
            return new CommitResult(owner[index], null);
        }
    }

    private async Task<(IntakeOutcome Outcome, Pledge? Requeue)> SettleExistingAsync(Pledge pledge, string partition, CancellationToken ct)
    {
        var row = await _pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async token =>
            await _ledger.GetEntityIfExistsAsync<TableEntity>(partition, LedgerKeys.Pledge(pledge.Id), cancellationToken: token), ct);
        var stored = row.HasValue ? PledgeRows.FromRow(row.Value!) : throw new InvalidOperationException($"pledge {pledge.Id} conflicted but is not in the ledger");
        var outcome = Answer(pledge, stored.Pledge);
        // Stored but not counted yet: queue the stored copy again, in case the first enqueue was lost.
        return (outcome, outcome is IntakeOutcome.Accepted && !stored.Counted ? stored.Pledge : null);
    }

    /// <summary>An Idempotency-Key replay once the campaign no longer takes pledges (closed, finalized, past its end): the
    /// pledge stored under that key is still the answer, so a donor's retry is never told a counted gift failed.
    /// Null when nothing is stored under this pledge's id.</summary>
    /// <param name="shards">The campaign's shard count: the pledge is looked for in each (another body may be in another).</param>
    public async Task<IntakeOutcome?> ReplayAsync(Pledge pledge, int shards, CancellationToken ct) =>
        await PledgeRows.FindAsync(_ledger, _pipelines.GetPipeline(StoragePipelines.Storage), pledge.CampaignId, shards, pledge.Id, ct) is { } row
            ? Answer(pledge, PledgeRows.FromRow(row).Pledge) : null;

    /// <summary>The same body gets the stored pledge; another body under the same key is refused.</summary>
    private static IntakeOutcome Answer(Pledge asked, Pledge stored) =>
        stored.Fingerprint == asked.Fingerprint ? new IntakeOutcome.Accepted(stored) : new IntakeOutcome.KeyReused();

    /// <summary>A queue message holds 64 KiB in Base64, so 48 KiB of text: the activity ETags (about 80 bytes a pledge) are left
    /// out of a message that long pledge messages already fill (counting then reads those rows).</summary>
    public const int MaxMessageText = 48 * 1024;

    /// <summary>The message's text, without its activity ETags when they would take it past <paramref name="limit"/> bytes.</summary>
    public static string MessageText(PledgeBatchMessage message, int limit = MaxMessageText)
    {
        var text = JsonSerializer.Serialize(message, GivingDayJson.Options);
        return message.CreatedActivity is not null && System.Text.Encoding.UTF8.GetByteCount(text) > limit
            ? JsonSerializer.Serialize(message with { CreatedActivity = null }, GivingDayJson.Options) : text;
    }

    /// <summary>Queues a flush's stored pledges in one message (a flush holds at most <see cref="MaxBatch"/>), in parts by
    /// shard and marker when there is more than one.</summary>
    private async Task EnqueueAsync(string campaignId, List<StoredPart> parts, IReadOnlyDictionary<string, string> created, CancellationToken ct)
    {
        if (parts.Count == 0) return;
        var pledges = parts.SelectMany(p => p.Pledges).ToList();
        try
        {
            // Only pledges stored under this flush's markers vouch for the rows they created (a part queued again was stored before).
            var mine = created is { Count: > 0 } ? parts.Where(p => p.Marker is not null).SelectMany(p => p.Pledges).Where(p => created.ContainsKey(p.Id))
                .ToDictionary(p => p.Id, p => created[p.Id], StringComparer.Ordinal) : null;
            var message = parts.Count == 1
                ? new PledgeBatchMessage(campaignId, pledges, parts[0].Marker, Activity.Current?.Id, parts[0].Shard, mine is { Count: > 0 } ? mine : null)
                : new PledgeBatchMessage(campaignId, pledges, null, Activity.Current?.Id, 0, mine is { Count: > 0 } ? mine : null,
                    parts.Select(p => new ShardPart(p.Shard, p.Marker, p.Pledges.Count)).ToList());
            var text = MessageText(message);
            await _pipelines.GetPipeline(StoragePipelines.IntakeEnqueue).ExecuteAsync(
                async token => await _queue.SendMessageAsync(text, token), ct);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException or TimeoutException)
        {
            // The pledges are stored with their outbox marker: the re-drive timer queues them later.
            _log.LogWarning(e, "Queueing {Count} stored pledges of {Campaign} failed; the re-drive will queue them", pledges.Count, campaignId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        if (_flushers.IsValueCreated)
        {
            try { await Task.WhenAll(_flushers.Value).WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* stopping */ }
        }
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }
}
