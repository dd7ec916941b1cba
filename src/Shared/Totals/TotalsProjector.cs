using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Matching;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Microsoft.Extensions.Logging;
using Polly.Registry;

namespace GivingDay.Totals;

/// <summary>Counts accepted pledges into the live totals, exactly once under at-least-once delivery and
/// concurrent processors: each counting step is one table transaction that deletes the pledges' outbox
/// markers (so a pledge already counted makes the step fail and be re-read), marks the pledges counted with
/// their match, records new donors, and replaces the totals row under its ETag.</summary>
public sealed class TotalsProjector(
    StorageAccount account,
    ResiliencePipelineProvider<string> pipelines,
    CampaignStore campaigns,
    TimeProvider clock,
    ILogger<TotalsProjector> log)
{
    private const int MaxActions = 100;
    private const int MaxAttempts = 50;
    private const int ActivityDonorsPerQuery = 8;
    private const int MaxPledgesPerStep = 48;
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);
    // Every step of a campaign replaces its totals row under ETag, so steps of one campaign can only commit one
    // at a time. Inside the instance, messages of a campaign take turns, and whoever has the turn counts every
    // message waiting for it in the same steps: fewer, fuller transactions, and no storm of lost races.
    // Instances still race each other, and the ETags settle that.
    private readonly ConcurrentDictionary<string, CampaignTurn> _turns = new();

    private sealed class CampaignTurn
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public ConcurrentQueue<Waiting> Waiting { get; } = new();
    }

    private sealed record Waiting(IReadOnlyList<Pledge> Pledges, TaskCompletionSource<int> Done);

    /// <summary>Counts the batch; returns how many of its pledges this call counted (0 when all were counted before).</summary>
    public async Task<int> CountAsync(PledgeBatchMessage batch, CancellationToken ct)
    {
        var campaign = await campaigns.GetAsync(batch.CampaignId, ct)
            ?? throw new InvalidOperationException($"campaign {batch.CampaignId} is not defined");
        var turn = _turns.GetOrAdd(campaign.Id, _ => new CampaignTurn());
        var mine = new Waiting(batch.Pledges, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        turn.Waiting.Enqueue(mine);
        while (!mine.Done.Task.IsCompleted)
        {
            await turn.Lock.WaitAsync(ct);
            try
            {
                var taken = new List<Waiting>();
                while (turn.Waiting.TryDequeue(out var w)) taken.Add(w);
                if (taken.Count == 0) continue;
                try
                {
                    var pledges = taken.SelectMany(w => w.Pledges).DistinctBy(p => p.Id)
                        .OrderBy(p => p.AcceptedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
                    var counted = await CountPledgesAsync(campaign, pledges, ct);
                    // Each pledge counted is credited to one message only.
                    foreach (var w in taken) w.Done.TrySetResult(w.Pledges.Select(p => p.Id).Distinct().Count(counted.Remove));
                }
                catch (Exception e)
                {
                    foreach (var w in taken) w.Done.TrySetException(e);
                }
            }
            finally { turn.Lock.Release(); }
        }
        return await mine.Done.Task;
    }

    private async Task<HashSet<string>> CountPledgesAsync(Campaign campaign, List<Pledge> pledges, CancellationToken ct)
    {
        var counted = new HashSet<string>();
        // First delivery is the common case: assume every marker is there and skip reading them. If one is gone
        // (counted before), the transaction fails as a whole and the next attempt reads the markers.
        var verifyMarkers = false;
        for (var attempt = 1; pledges.Count > 0; attempt++)
        {
            try
            {
                var step = await CountStepAsync(campaign, pledges, verifyMarkers, ct);
                counted.UnionWith(step.Counted);
                pledges = step.Left;
                attempt = 0;
                // After a step that committed, the rest are most likely uncounted too: skip reading markers again.
                if (step.Counted.Count > 0) verifyMarkers = false;
            }
            catch (Exception e) when (IsLostRace(e) && attempt < MaxAttempts)
            {
                // Another processor committed first (totals ETag, a marker already gone, a new donor row):
                // read again and recompute.
                verifyMarkers = true;
                log.LogDebug("Counting step for {Campaign} lost a race ({Message}); reading again", campaign.Id, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * Math.Min(attempt, 10))), ct);
            }
        }
        return counted;
    }

    private static bool IsLostRace(Exception e) =>
        e is RequestFailedException { Status: 404 or 409 or 412 } || TransactionReplies.IsUnreadableFailure(e);

    private sealed record StepResult(IReadOnlyList<string> Counted, List<Pledge> Left);

    private async Task<StepResult> CountStepAsync(Campaign campaign, List<Pledge> all, bool verifyMarkers, CancellationToken ct)
    {
        // A step commits at most MaxPledgesPerStep pledges (two actions each, within 100): read only for those.
        var pledges = all.Take(MaxPledgesPerStep).ToList();
        var rest = all.Skip(MaxPledgesPerStep).ToList();
        // The reads a step needs are independent: make them at once (one round trip instead of four).
        var read = pipelines.GetPipeline(StoragePipelines.Storage);
        var stateTask = read.ExecuteAsync(async t => (await _ledger.GetEntityIfExistsAsync<TableEntity>(campaign.Id, LedgerKeys.State, cancellationToken: t)) is { HasValue: true } r ? r.Value : null, ct).AsTask();
        var markersTask = verifyMarkers ? ReadMarkersAsync(campaign.Id, pledges, ct) : Task.FromResult(pledges.ToDictionary(p => p.Id, _ => ETag.All));
        var donorsTask = ReadDonorsAsync(campaign.Id, pledges, ct);
        var activityTask = ReadActivityAsync(campaign, pledges, ct);
        await Task.WhenAll(stateTask, markersTask, donorsTask, activityTask);
        var (state, stateETag) = TotalsState.FromRow(stateTask.Result);
        var markers = markersTask.Result;
        var uncounted = pledges.Where(p => markers.ContainsKey(p.Id)).ToList();
        if (uncounted.Count == 0) return new StepResult([], rest);
        var donors = donorsTask.Result;
        var activity = activityTask.Result;
        var matching = new MatchingLedger(
            campaign.MatchingFunds,
            campaign.MatchingFunds.ToDictionary(f => f.Id, f => new Money.Money(state.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen) - state.Used(f.Id))),
            hash => new DonorHistory(donors.Matched(hash), activity.GetValueOrDefault(hash) ?? new Dictionary<string, DateTimeOffset>()));

        var actions = new List<TableTransactionAction>();
        var newDonors = new HashSet<string>();
        var newProjectDonors = new HashSet<string>();
        var counted = new List<Pledge>();
        var donorsTouched = new HashSet<string>();
        var recent = new List<RecentGift>();
        foreach (var p in uncounted)
        {
            var donorIsNew = p.DonorHash is not null && !donors.Exists(p.DonorHash) && !newDonors.Contains(p.DonorHash);
            var projectDonorKey = p.DonorHash is null ? null : p.ProjectId + "|" + p.DonorHash;
            var projectDonorIsNew = p.DonorHash is not null && !donors.GaveTo(p.DonorHash, p.ProjectId) && !newProjectDonors.Contains(projectDonorKey!);
            // Room for: marker delete, pledge update, a donor row once per donor, and the totals row.
            var donorRow = p.DonorHash is not null && donorsTouched.Add(p.DonorHash) ? 1 : 0;
            if (actions.Count + 2 + donorsTouched.Count + 1 > MaxActions)
            {
                if (donorRow == 1) donorsTouched.Remove(p.DonorHash!);
                break;
            }

            // Offline gifts carry no contact, so the rules never match them.
            var decision = matching.Apply(new PledgeToMatch(p.Id, p.ProjectId, p.Amount, p.DonorHash, p.AcceptedAt));

            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(campaign.Id, LedgerKeys.Marker(p.Id)), markers[p.Id]));
            actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(campaign.Id, LedgerKeys.Pledge(p.Id))
            {
                ["Counted"] = true,
                ["Matched"] = decision.Matched.Fen,
                ["FundId"] = decision.FundId,
                ["CountedAt"] = clock.GetUtcNow(),
            }, ETag.All));

            var project = state.Project(p.ProjectId);
            project.Raised += p.Amount.Fen; project.Matched += decision.Matched.Fen; project.Pledges++;
            state.Totals.Raised += p.Amount.Fen; state.Totals.Matched += decision.Matched.Fen; state.Totals.Pledges++;
            if (decision.FundId is not null) state.FundUsed[decision.FundId] = state.Used(decision.FundId) + decision.Matched.Fen;
            if (p.DonorHash is null || donorIsNew) state.Totals.Donors++;
            if (p.DonorHash is null || projectDonorIsNew) project.Donors++;
            if (donorIsNew) newDonors.Add(p.DonorHash!);
            if (projectDonorIsNew) newProjectDonors.Add(projectDonorKey!);
            counted.Add(p);
            recent.Add(new RecentGift(p.ProjectId, p.Amount.Fen, p.MaskedName, p.Message, p.AcceptedAt));
        }

        // One row per donor touched: created, or replaced under its ETag with what the donor has been matched
        // and the projects they gave to (for per-project distinct donors).
        foreach (var hash in counted.Where(p => p.DonorHash is not null).Select(p => p.DonorHash!).Distinct())
        {
            var projects = donors.Projects(hash).Union(counted.Where(p => p.DonorHash == hash).Select(p => p.ProjectId)).Order(StringComparer.Ordinal).ToList();
            var row = new TableEntity(campaign.Id, LedgerKeys.Donor(hash))
            {
                ["Matched"] = JsonSerializer.Serialize(matching.DonorMatched.GetValueOrDefault(hash) ?? donors.Matched(hash), GivingDayJson.Options),
                ["Projects"] = JsonSerializer.Serialize(projects, GivingDayJson.Options),
            };
            actions.Add(donors.ETagOf(hash) is { } etag
                ? new(TableTransactionActionType.UpdateReplace, row, etag)
                : new(TableTransactionActionType.Add, row));
        }

        state.AddRecent(recent);
        actions.Add(stateETag is { } e
            ? new(TableTransactionActionType.UpdateReplace, state.ToRow(campaign.Id), e)
            : new(TableTransactionActionType.Add, state.ToRow(campaign.Id)));

        await pipelines.GetPipeline(StoragePipelines.CountCommit).ExecuteAsync(
            async t => await _ledger.SubmitTransactionAsync(actions, t), ct);
        return new StepResult(counted.Select(p => p.Id).ToList(), uncounted.Skip(counted.Count).Concat(rest).ToList());
    }

    /// <summary>Point reads, in parallel: the cheapest read there is (a filter query may scan the partition).</summary>
    private async Task<Dictionary<string, TableEntity>> ReadRowsAsync(string campaignId, IEnumerable<string> rowKeys, CancellationToken ct)
    {
        var found = new Dictionary<string, TableEntity>();
        await Parallel.ForEachAsync(rowKeys.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (key, token) =>
        {
            var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
                await _ledger.GetEntityIfExistsAsync<TableEntity>(campaignId, key, cancellationToken: t), token);
            if (row.HasValue) lock (found) found[key] = row.Value!;
        });
        return found;
    }

    private async Task<Dictionary<string, ETag>> ReadMarkersAsync(string campaignId, List<Pledge> pledges, CancellationToken ct) =>
        (await ReadRowsAsync(campaignId, pledges.Select(p => LedgerKeys.Marker(p.Id)), ct))
            .ToDictionary(r => r.Key[LedgerKeys.MarkerPrefix.Length..], r => r.Value.ETag);

    private sealed class DonorRows
    {
        public Dictionary<string, (ETag ETag, Dictionary<string, Money.Money> Matched, HashSet<string> Projects)> Donors { get; } = new();
        public bool Exists(string hash) => Donors.ContainsKey(hash);
        public ETag? ETagOf(string hash) => Donors.TryGetValue(hash, out var d) ? d.ETag : null;
        public bool GaveTo(string hash, string projectId) => Donors.TryGetValue(hash, out var d) && d.Projects.Contains(projectId);
        public IEnumerable<string> Projects(string hash) => Donors.TryGetValue(hash, out var d) ? d.Projects : [];
        public IReadOnlyDictionary<string, Money.Money> Matched(string hash) =>
            Donors.TryGetValue(hash, out var d) ? d.Matched : new Dictionary<string, Money.Money>();
    }

    private async Task<DonorRows> ReadDonorsAsync(string campaignId, List<Pledge> pledges, CancellationToken ct)
    {
        var rows = new DonorRows();
        var keys = pledges.Where(p => p.DonorHash is not null).Select(p => LedgerKeys.Donor(p.DonorHash!));
        foreach (var (key, row) in await ReadRowsAsync(campaignId, keys, ct))
            rows.Donors[key[2..]] = (row.ETag,
                JsonSerializer.Deserialize<Dictionary<string, Money.Money>>(row.GetString("Matched") ?? "{}", GivingDayJson.Options) ?? new(),
                (JsonSerializer.Deserialize<List<string>>(row.GetString("Projects") ?? "[]", GivingDayJson.Options) ?? []).ToHashSet());
        return rows;
    }

    /// <summary>For the velocity rule: each donor's other acceptances in the minute before the chunk's pledges,
    /// from the activity rows intake wrote. Only read while a fund could still match.</summary>
    private async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> ReadActivityAsync(Campaign campaign, List<Pledge> pledges, CancellationToken ct)
    {
        var result = new Dictionary<string, Dictionary<string, DateTimeOffset>>();
        if (campaign.MatchingFunds.Count == 0) return result;
        var byDonor = pledges.Where(p => p.DonorHash is not null).GroupBy(p => p.DonorHash!).ToList();
        // Several donors' ranges per query: far fewer queries than one per donor.
        await Parallel.ForEachAsync(byDonor.Chunk(ActivityDonorsPerQuery), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (group, token) =>
        {
            var ranges = group.Select(d =>
                $"(RowKey ge '{Escape(LedgerKeys.ActivityFrom(d.Key, d.Min(p => p.AcceptedAt) - MatchingRules.VelocityWindow))}' and RowKey lt '{Escape(LedgerKeys.ActivityEnd(d.Key))}')");
            var filter = $"PartitionKey eq '{Escape(campaign.Id)}' and (" + string.Join(" or ", ranges) + ")";
            var found = new Dictionary<string, Dictionary<string, DateTimeOffset>>();
            await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
            {
                found.Clear();
                await foreach (var row in _ledger.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: t))
                {
                    var parts = row.RowKey.Split('|'); // a|donor|ticks|pledge
                    if (!found.TryGetValue(parts[1], out var times)) found[parts[1]] = times = new();
                    times[parts[3]] = new DateTimeOffset(long.Parse(parts[2]), TimeSpan.Zero);
                }
            }, token);
            lock (result) foreach (var (donor, times) in found) result[donor] = times;
        });
        return result;
    }

    private static string Escape(string s) => s.Replace("'", "''");
}
