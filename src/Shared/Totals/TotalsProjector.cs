using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using GivingDay.Campaigns;
using GivingDay.Json;
using GivingDay.Ledger;
using GivingDay.Matching;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Polly.Registry;
using GivingDay.Amounts;

namespace GivingDay.Totals;

/// <summary>Counts accepted pledges into the live totals, exactly once under at-least-once delivery and
/// concurrent processors: each counting step is one table transaction that takes the pledges off their outbox
/// markers under the markers' ETags (so a pledge already counted makes the step fail and be re-read), marks the
/// pledges counted with their match, adds or replaces their donors' rows, and replaces the totals row under its ETag.</summary>
public sealed class TotalsProjector(
    StorageAccount account,
    ResiliencePipelineProvider<string> pipelines,
    CampaignStore campaigns,
    FundAllotments allotments,
    TimeProvider clock)
{
    private const int MaxActions = 100;
    // Past this many known donors a campaign's view starts afresh (unknown donors are only slower, never wrong).
    private const int MaxKnownDonors = 200_000;
    private readonly TableClient _ledger = account.Table(StorageNames.LedgerTable);
    // The velocity rule's activity: each donor's acceptances before a step's pledges, read (or confirmed) only while a fund
    // could still match (NeedsActivity).
    private readonly ActivityRows _activity = new(account.Table(StorageNames.ActivityTable), pipelines.GetPipeline(StoragePipelines.Storage));
    // Every step of a shard (a one-shard campaign: of the campaign) replaces a totals row of it under ETag (its lane's,
    // in a sharded campaign), so steps writing one row commit one at a time. Inside the instance, messages of a shard take
    // turns, and whoever has the turn counts every message waiting for it in the same steps: fewer, fuller transactions,
    // and no lost races between steps of one instance. Instances writing the same row still race each other, the ETags
    // settle that, and the loser moves to another lane.
    // Keyed by partition: each shard of a campaign is counted on its own (ShardLayout).
    private readonly ConcurrentDictionary<string, CampaignCounting> _campaigns = new();
    // What a matching fund could give with no pool limit (a sharded campaign's step first asks this, then draws what it lacks).
    private static readonly Money Unlimited = new(long.MaxValue / 4);

    /// <summary>One shard's counting in this instance: its turn, and what this instance last committed or read
    /// of the shard's totals and donors. That view is only used under the turn, and the transaction checks it
    /// (the totals row and known donors' rows under their ETags, unknown donors' rows as Add), so a stale view
    /// costs one failed commit and a read, never a wrong count.</summary>
    private sealed class CampaignCounting
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public ConcurrentQueue<Waiting> Waiting { get; } = new();
        /// <summary>Which of the shard's totals rows this instance writes (<see cref="ShardLayout.Lanes"/>; always 0 in a
        /// one-shard campaign): one at random at first, then another when it loses the row to another writer.</summary>
        public int Lane { get; set; }
        public (TotalsState State, ETag ETag)? Totals
        {
            get => _totals;
            set { _totals = value; Seen = value?.State ?? Seen; }
        }
        private (TotalsState State, ETag ETag)? _totals;
        /// <summary>The shard's totals as this instance last knew them, for a look outside the turn (whether a fund can still
        /// match, to read a message's velocity activity as it arrives); never changed after it is set.</summary>
        public volatile TotalsState? Seen;
        public Dictionary<string, DonorRow> Donors { get; } = new(StringComparer.Ordinal);
        /// <summary>Whether a step may use this instance's copy of a returning donor's row without reading it: it has one, and
        /// either counts the shard alone or read the row since the donor's message arrived (<paramref name="readSince"/>).
        /// The step's reads and the read-ahead with the commit before it both go by this.</summary>
        public bool Trusts(string donor, bool shared, IReadOnlySet<string>? readSince = null) =>
            Donors.ContainsKey(donor) && (!shared || readSince?.Contains(donor) == true);
        /// <summary>Until when (a <see cref="TimeProvider"/> timestamp) another writer is taken to count this shard too: it
        /// lost a race for a donor's row or the totals row within the last minute. Meanwhile the rows of a message's donors
        /// who gave before are read as it arrives, even those this instance knows: the other writer may have changed them.</summary>
        private long _sharedUntil;
        public bool SharedAt(long now) => now < Volatile.Read(ref _sharedUntil);
        /// <summary>Takes the shard as shared until <paramref name="until"/>; returns whether it was shared at <paramref name="now"/>.</summary>
        public bool MarkShared(long now, long until)
        {
            var was = SharedAt(now);
            Volatile.Write(ref _sharedUntil, until);
            return was;
        }
        /// <summary>The rows of the donors who gave before among the messages in hand when this instance learnt of the other
        /// writer (read then, at once); later turns use them as they use a message's own early read.</summary>
        public DonorRead? CatchUp { get; set; }
        /// <summary>A sharded campaign: what the fund row last said this shard's lane is allotted, per fund (never more
        /// than it is: only draws raise it). Null: not known yet.</summary>
        public Dictionary<string, long>? Allotted { get; set; }
    }

    /// <summary>A donor's row: what each fund has matched to them (per-donor caps) and the projects they gave to. At: a
    /// <see cref="TimeProvider"/> timestamp the row was current at (a read's: when it was sent; a commit's: when it answered).</summary>
    private sealed record DonorRow(ETag ETag, IReadOnlyDictionary<string, Money> Matched, IReadOnlySet<string> Projects, long At);

    /// <param name="Early">The velocity activity of the message's pledges, read as soon as it arrived (while it waits for its turn).</param>
    /// <param name="EarlyDonors">The rows of its donors who gave before, read as it arrived while another writer counts the shard too.</param>
    private sealed record Waiting(PledgeBatchMessage Message, TaskCompletionSource<int> Done, ActivityRead? Early = null, DonorRead? EarlyDonors = null)
    {
        public IReadOnlyList<Pledge> Pledges => Message.Pledges;
    }

    /// <summary>The outbox markers of the pledges a turn counts: which marker lists each pledge, and each marker's
    /// ETag and list as this turn last knew them (from the messages, then from its own commits). Unknown (null)
    /// means read it before using it.</summary>
    private sealed class TurnMarkers
    {
        public sealed record Known(ETag ETag, HashSet<string> Listed);

        public Dictionary<string, string?> MarkerOf { get; } = new(StringComparer.Ordinal);
        /// <summary>Marker id → what is known of it; null: to be read; absent (for a marker some pledge names): gone,
        /// so every pledge it listed was counted.</summary>
        public Dictionary<string, Known?> Markers { get; } = new(StringComparer.Ordinal);
        // Markers this turn deleted or found gone: a message that names one later (a redelivery) does not bring it back.
        private readonly HashSet<string> _gone = new(StringComparer.Ordinal);

        public void Add(PledgeBatchMessage m)
        {
            foreach (var p in m.Pledges)
                if (m.Marker is not null) MarkerOf[p.Id] = m.Marker.Id;
                else MarkerOf.TryAdd(p.Id, null);
            if (m.Marker is null || _gone.Contains(m.Marker.Id)) return;
            var known = new Known(new ETag(m.Marker.ETag), m.Pledges.Select(p => p.Id).ToHashSet(StringComparer.Ordinal));
            // Two messages disagreeing about one marker (a re-drive after a partial count, or a redelivery of a message
            // this turn has counted from): read it.
            Markers[m.Marker.Id] = Markers.TryGetValue(m.Marker.Id, out var other)
                && (other is null || other.ETag != known.ETag || !other.Listed.SetEquals(known.Listed)) ? null : known;
        }

        public void Gone(string id)
        {
            Markers.Remove(id);
            _gone.Add(id);
        }

        public void ForgetAll()
        {
            foreach (var id in Markers.Keys.ToList()) Markers[id] = null;
        }
    }

    /// <summary>One turn of a shard in this instance: the messages it has taken, the pledges still to count (in
    /// acceptance order), their markers and the velocity rows their intake created. A turn takes the messages waiting
    /// when it starts, and, while it is young, those that arrive as it commits: they go into its next step, whose velocity
    /// reads were made as they arrived, so a shard under load counts at one round trip a step. Each message is done as soon
    /// as all its pledges are, not when the turn ends.</summary>
    private sealed class Turn(ConcurrentQueue<Waiting> waiting, TimeProvider clock)
    {
        // How long a turn goes on taking arrivals: its caller's function runs as long as the turn does (the function
        // timeout is minutes), and the next caller in line takes over after it.
        private static readonly TimeSpan TakesArrivalsFor = TimeSpan.FromSeconds(1);
        private readonly long _started = clock.GetTimestamp();
        private readonly List<(Waiting Message, HashSet<string> Left)> _open = [];
        private readonly HashSet<string> _resolved = new(StringComparer.Ordinal);
        private readonly HashSet<string> _uncredited = new(StringComparer.Ordinal);

        public List<Pledge> Pending { get; private set; } = [];
        public TurnMarkers Markers { get; } = new();
        public Dictionary<string, string> Created { get; } = new(StringComparer.Ordinal);
        /// <summary>The velocity activity of the turn's messages, each read as it arrived.</summary>
        public List<ActivityRead> EarlyReads { get; } = [];
        /// <summary>The rows of donors who gave before, read ahead: as their messages arrived (<see cref="Waiting.EarlyDonors"/>),
        /// with the commit of the step before theirs, or all at once when this instance learnt of another writer; in the order
        /// they were sent.</summary>
        public List<DonorRead> EarlyDonors { get; } = [];
        /// <summary>The next tries of the current step read all its donors (see <see cref="LeftOut"/> for when).</summary>
        public bool ReadAllDonors { get; set; }
        /// <summary>Donors whose row a try of the current step lost on: the next tries leave their pledges out (they go in the
        /// next step, their row read meanwhile), so they need no read before they commit. True: a row this instance knew,
        /// changed since by another writer (up to <see cref="ChangedRowsLeftOut"/> a step), left out even when nothing else
        /// waits; false: a donor taken for new (the step's first lost donor row only), left out only when more pledges wait
        /// than the step takes (otherwise the try waits for the read). Any other lost donor row makes the next tries read all
        /// the step's donors.</summary>
        public Dictionary<string, bool> LeftOut { get; } = new(StringComparer.Ordinal);
        /// <summary>Pledges whose message said which of its pledges created their velocity activity row (the others found one).</summary>
        private HashSet<string> Vouched { get; } = new(StringComparer.Ordinal);

        /// <summary>The pledge's donor gave in the ten minutes before it (intake found their activity row there, so it did
        /// not create it): their donor row most likely exists, and another instance may have written it. Known only from
        /// messages that say which pledges created their rows, for pledges a fund covers (intake records activity for those).</summary>
        public bool GaveBefore(Pledge p, Campaign campaign) => Vouched.Contains(p.Id) && FoundActivity(p, Created, campaign);

        /// <summary><see cref="GaveBefore(Pledge, Campaign)"/> from one message alone.</summary>
        public static bool GaveBefore(Pledge p, PledgeBatchMessage m, Campaign campaign) => m.CreatedActivity is { } created && FoundActivity(p, created, campaign);

        private static bool FoundActivity(Pledge p, IReadOnlyDictionary<string, string> created, Campaign campaign) =>
            p.DonorHash is not null && !created.ContainsKey(p.Id) && campaign.MatchingFunds.Any(f => f.Covers(p.ProjectId, p.AcceptedAt));

        /// <summary>Takes every waiting message (at the turn's start, or while the turn is young); false when none was.</summary>
        public bool TakeWaiting(bool start = false)
        {
            if (!start && clock.GetElapsedTime(_started) > TakesArrivalsFor) return false;
            var taken = new List<Waiting>();
            while (waiting.TryDequeue(out var w)) taken.Add(w);
            if (taken.Count == 0) return false;
            var pending = Pending.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var w in taken)
            {
                Markers.Add(w.Message);
                foreach (var (id, etag) in w.Message.CreatedActivity ?? new Dictionary<string, string>()) Created.TryAdd(id, etag);
                if (w.Message.CreatedActivity is not null) Vouched.UnionWith(w.Pledges.Select(p => p.Id));
                if (w.Early is not null) EarlyReads.Add(w.Early);
                if (w.EarlyDonors is not null) EarlyDonors.Add(w.EarlyDonors);
                _open.Add((w, w.Pledges.Select(p => p.Id).Where(id => !_resolved.Contains(id)).ToHashSet(StringComparer.Ordinal)));
                Pending.AddRange(w.Pledges.Where(p => !_resolved.Contains(p.Id) && pending.Add(p.Id)));
            }
            Pending = Pending.OrderBy(p => p.AcceptedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
            Complete();
            return true;
        }

        /// <summary>A step's pledges are settled: those it counted, and those it found counted before.</summary>
        public void Resolve(IReadOnlyCollection<string> stepPledges, IEnumerable<string> counted)
        {
            _resolved.UnionWith(stepPledges);
            _uncredited.UnionWith(counted);
            var settled = stepPledges.ToHashSet(StringComparer.Ordinal);
            Pending.RemoveAll(p => settled.Contains(p.Id));
            foreach (var (_, left) in _open) left.ExceptWith(settled);
            Complete();
        }

        /// <summary>Each message whose pledges are all settled is done; each pledge counted is credited to one message only.</summary>
        private void Complete()
        {
            foreach (var done in _open.Where(o => o.Left.Count == 0).ToList())
            {
                _open.Remove(done);
                done.Message.Done.TrySetResult(done.Message.Pledges.Select(p => p.Id).Distinct().Count(_uncredited.Remove));
            }
        }

        public void Fail(Exception e)
        {
            foreach (var (w, _) in _open) w.Done.TrySetException(e);
            _open.Clear();
        }
    }

    /// <summary>Counts the batch; returns how many of its pledges this call counted (0 when all were counted before). A message
    /// of several shards counts each shard's part in that shard's turn, all at once; it is done when every part is (a part that
    /// fails fails the message, and its redelivery finds the other parts counted by their markers).</summary>
    public async Task<int> CountAsync(PledgeBatchMessage batch, CancellationToken ct)
    {
        var parts = batch.ByShard();
        return parts.Count == 1 ? await CountShardAsync(parts[0], ct) : (await Task.WhenAll(parts.Select(part => CountShardAsync(part, ct)))).Sum();
    }

    private async Task<int> CountShardAsync(PledgeBatchMessage batch, CancellationToken ct)
    {
        var campaign = await campaigns.GetAsync(batch.CampaignId, ct)
            ?? throw new InvalidOperationException($"campaign {batch.CampaignId} is not defined");
        if (batch.Shard < 0 || batch.Shard >= campaign.Shards)
            throw new InvalidOperationException($"campaign {batch.CampaignId} has {campaign.Shards} shard(s), not a shard {batch.Shard}");
        var shard = new Shard(campaign, batch.Shard, ShardLayout.Partition(campaign.Id, batch.Shard));
        // A sharded campaign's instance starts on a lane of its own choosing: instances started together on one lane would
        // first lose commits to each other, and the loser would then draw an allotment for the lane it moves to.
        var counting = _campaigns.GetOrAdd(shard.Partition, _ => new CampaignCounting { Lane = Random.Shared.Next(ShardLayout.LanesOf(campaign.Shards)) });
        // The velocity activity of its pledges is read now, while the message waits for the shard's turn, so a step finds it
        // read. What the read could miss is a pledge of the same donor accepted before these but committed by intake only
        // after this message was sent; intake commits within milliseconds of accepting, so a read at the step would miss it
        // just the same.
        var pledgeList = batch.Pledges.ToList();
        var early = NeedsActivity(campaign, counting.Seen, pledgeList)
            ? new ActivityRead(pledgeList.Select(p => p.Id).ToHashSet(StringComparer.Ordinal),
                // Not this call's token: the read may serve a turn that another call holds (the storage pipeline bounds it).
                _activity.ReadAsync(shard.Partition, pledgeList, batch.CreatedActivity ?? new Dictionary<string, string>(), CancellationToken.None))
            : null;
        // While another instance counts this shard too, the rows of donors who gave before are read now as well: that instance
        // may have changed them since this one last wrote them, and a row known here but stale costs a lost commit.
        var returning = counting.SharedAt(clock.GetTimestamp())
            ? pledgeList.Where(p => Turn.GaveBefore(p, batch, campaign)).Select(p => p.DonorHash!).ToHashSet(StringComparer.Ordinal) : null;
        var earlyDonors = returning is { Count: > 0 } ? ReadDonorsAhead(shard.Partition, returning, CancellationToken.None) : null;
        var mine = new Waiting(batch, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously), early, earlyDonors);
        counting.Waiting.Enqueue(mine);
        while (!mine.Done.Task.IsCompleted)
        {
            // A turn may take this message and finish it while this call waits for the next turn.
            if (!await TurnOrDoneAsync(counting.Lock, mine.Done.Task, ct)) break;
            try
            {
                var turn = new Turn(counting.Waiting, clock);
                // The catch-up read serves the messages that were in hand then, for as long as another writer is taken to be there.
                if (counting.CatchUp is { } caughtUp && counting.SharedAt(clock.GetTimestamp())) turn.EarlyDonors.Add(caughtUp);
                if (!turn.TakeWaiting(start: true)) continue;
                try { await CountTurnAsync(shard, counting, turn, ct); }
                catch (Exception e) { turn.Fail(e); }
            }
            finally { counting.Lock.Release(); }
        }
        return await mine.Done.Task;
    }

    /// <summary>Waits for the shard's turn (true: this call holds it) or for its own message to be done by another's turn.</summary>
    private static async Task<bool> TurnOrDoneAsync(SemaphoreSlim turn, Task done, CancellationToken ct)
    {
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var waiting = turn.WaitAsync(giveUp.Token);
        if (await Task.WhenAny(waiting, done) == waiting)
        {
            await waiting;
            return true;
        }
        await giveUp.CancelAsync();
        try
        {
            await waiting;
            turn.Release(); // it was given just before the wait was called off
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        return false;
    }

    /// <summary>The shard a turn counts: its campaign, its number and its partition.</summary>
    private sealed record Shard(Campaign Campaign, int Number, string Partition);

    private async Task CountTurnAsync(Shard shard, CampaignCounting counting, Turn turn, CancellationToken ct)
    {
        // First delivery is the common case: assume every marker is there, and trust this instance's view of the
        // totals and donors. If any of it is wrong (counted before, or another instance committed), the transaction
        // fails as a whole and the next attempt reads what the step needs.
        var doubt = Doubt.None;
        var activity = new StrongBox<ActivityRead?>();
        var race = pipelines.GetPipeline(StoragePipelines.LostRace);
        // Messages that arrived during the last commit make one more step of this turn.
        while (turn.Pending.Count > 0 || turn.TakeWaiting())
        {
            // One step, tried again (by the lost-race pipeline) until it commits: each try reads what the last lost.
            var step = await race.ExecuteAsync(async t =>
            {
                try { return await CountStepAsync(shard, counting, turn, doubt, activity, t); }
                catch (Exception e) when (StoragePipelines.IsLostRace(e))
                {
                    // Another processor committed first (totals ETag, a marker already gone, a donor row), or this
                    // instance's view was stale: read again and recompute. Another instance counting other pledges of
                    // the shard on the same lane only makes the totals row stale: that alone is read again first.
                    // A reply that names the totals row is believed every time (two instances counting one campaign lose
                    // that race often, and a read of everything each time would be the cost of it); so is one that names a
                    // donor's row or a marker (a donor the other instance met first, a redelivered message): that row alone
                    // is read, since the storage checks a transaction's rows in order and stops at the first that fails, so
                    // the totals row before it was current. A reply that cannot say which row failed earns a read of the
                    // totals first, then of everything.
                    doubt = e switch
                    {
                        LostRace { Row: FailedRow.Totals } => Doubt.Totals,
                        LostRace { Row: FailedRow.Other, RowKey: { } key } when key.StartsWith(DonorPrefix, StringComparison.Ordinal) || key.StartsWith(LedgerKeys.MarkerPrefix, StringComparison.Ordinal) => Doubt.Rows,
                        LostRace { Row: FailedRow.Unknown } when doubt == Doubt.None => Doubt.Totals,
                        _ => Doubt.All,
                    };
                    if (e is LostRace { Row: FailedRow.Totals } || e is LostRace { RowKey: { } donorKey } && donorKey.StartsWith(DonorPrefix, StringComparison.Ordinal))
                    {
                        var now = clock.GetTimestamp();
                        // Just learnt of the other writer: the messages in hand arrived before, so their donors who gave before
                        // were not read as they arrived. Read them now, at once, while they wait.
                        if (!counting.MarkShared(now, now + clock.TimestampFrequency * 60))
                        {
                            var inHand = counting.Waiting.SelectMany(w => w.Pledges.Where(p => Turn.GaveBefore(p, w.Message, shard.Campaign)))
                                .Concat(turn.Pending.Where(p => turn.GaveBefore(p, shard.Campaign))).Select(p => p.DonorHash!).ToHashSet(StringComparer.Ordinal);
                            if (inHand.Count > 0) turn.EarlyDonors.Add(counting.CatchUp = ReadDonorsAhead(shard.Partition, inHand, CancellationToken.None));
                        }
                    }
                    if (doubt == Doubt.Rows)
                    {
                        var key = ((LostRace)e).RowKey!;
                        if (key.StartsWith(DonorPrefix, StringComparison.Ordinal))
                        {
                            var donor = key[DonorPrefix.Length..];
                            // A row this instance knew (its replace failed): another instance changed it since, as it does the
                            // rows of donors who give again while both count the shard. That donor's pledges wait for the next
                            // step, their row read meanwhile, and the next try goes at once without them, even when nothing
                            // else waits: the step's other pledges are not held back by one donor's read (a try left with only
                            // such donors' pledges waits for their reads). Past a few such rows in one step, the other instance
                            // changes this step's donors faster than one read each catches up with, and all of them are read
                            // before the next try.
                            var changed = counting.Donors.Remove(donor);
                            // A row it took for new (its add failed): the donor gave before, unknown here. A second lost row in
                            // one step: most of its donors may be known elsewhere (a campaign without a fund has no velocity
                            // rows to tell), so all its donors are read before the next try. (Every lost donor row of the step
                            // so far was left out or set ReadAllDonors, so "first" needs no counter.)
                            var first = turn.LeftOut.Count == 0 && !turn.ReadAllDonors;
                            if (changed ? turn.LeftOut.Count(d => d.Value) < ChangedRowsLeftOut : first)
                            {
                                turn.LeftOut[donor] = changed;
                                turn.EarlyDonors.Add(ReadDonorsAhead(shard.Partition, [donor], CancellationToken.None));
                            }
                            else turn.ReadAllDonors = true;
                        }
                        else if (turn.Markers.Markers.ContainsKey(key[LedgerKeys.MarkerPrefix.Length..])) turn.Markers.Markers[key[LedgerKeys.MarkerPrefix.Length..]] = null;
                    }
                    else counting.Totals = null;
                    // In a sharded campaign a lost totals row means another writer (an instance counting the same shard)
                    // writes this lane: move to another one, so that the two stop racing for one row. Donors, markers and
                    // pools stay exact whatever lane counts them (docs/storage.md, "Lanes").
                    if (e is LostRace { Row: FailedRow.Totals } && ShardLayout.LanesOf(shard.Campaign.Shards) is var lanes and > 1)
                    {
                        counting.Lane = (counting.Lane + 1 + Random.Shared.Next(lanes - 1)) % lanes;
                        counting.Allotted = null;
                    }
                    // The velocity activity read for the step stays good across any lost race: it depends on the step's
                    // pledges only (their donors' acceptances before them, which intake wrote before the pledges, in rows that
                    // only grow), and it is the dearest read of a step. The next try keeps to the pledges it was read for
                    // (another instance may have counted some), so it reads nothing of the activity again.
                    if (doubt == Doubt.All) turn.Markers.ForgetAll();
                    throw;
                }
            }, ct);
            turn.Resolve(step.Pledges, step.Counted);
            // The next step's pledges were read as their messages arrived.
            activity.Value = null;
            // After a step that committed, the rest are most likely uncounted too and the view is current.
            if (step.Counted.Count > 0) doubt = Doubt.None;
            turn.ReadAllDonors = false;
            turn.LeftOut.Clear();
        }
    }

    /// <summary>What a step may not take on trust after a lost race: nothing, the rows the reply named (a donor's:
    /// <see cref="Turn.LeftOut"/>, <see cref="Turn.ReadAllDonors"/>; a marker), the totals row, or anything it read.</summary>
    private enum Doubt { None, Rows, Totals, All }

    private static readonly string DonorPrefix = LedgerKeys.Donor("");

    /// <summary>How many donors whose rows another instance changed one step leaves out, one lost try each (<see cref="Turn.LeftOut"/>).</summary>
    private const int ChangedRowsLeftOut = 4;

    private enum FailedRow { Totals, Other, Unknown }

    /// <summary>A counting transaction that failed on a row changed by someone else; Row: which, as far as the reply
    /// says (Azurite answers some failures in a form the SDK cannot read), and RowKey: its key, when the reply says.</summary>
    private sealed class LostRace(Exception inner, FailedRow row, string? rowKey = null) : LostRaceException(inner.Message, inner)
    {
        public FailedRow Row => row;
        public string? RowKey => rowKey;
    }

    /// <summary>Pledges: the step's, settled (counted here or before). Counted: those it counted.</summary>
    private sealed record StepResult(IReadOnlyCollection<string> Pledges, IReadOnlyList<string> Counted);

    /// <param name="At">When the read was sent (<see cref="DonorRow.At"/> of the rows it found).</param>
    private sealed record DonorRead(HashSet<string> Hashes, Task<Dictionary<string, DonorRow>?> Rows, long At);

    private sealed record ActivityRead(HashSet<string> PledgeIds, Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> Activity);

    /// <summary>As many pledges as one transaction holds: one action each, a donor row per donor, a marker per
    /// batch of intake, and the totals row.</summary>
    private static List<Pledge> Pack(IEnumerable<Pledge> all, TurnMarkers markers)
    {
        var pledges = new List<Pledge>();
        var stepDonors = new HashSet<string>(StringComparer.Ordinal);
        var stepMarkers = new HashSet<string?>();
        var planned = 2; // the totals row and the step's public-ledger marker
        foreach (var p in all)
        {
            var marker = markers.MarkerOf.GetValueOrDefault(p.Id);
            // A marker not known yet is counted as one of its own: it is known only after a read.
            var needs = 1 + (p.DonorHash is not null && !stepDonors.Contains(p.DonorHash) ? 1 : 0) + (marker is null || !stepMarkers.Contains(marker) ? 1 : 0);
            if (planned + needs > MaxActions) break;
            planned += needs;
            pledges.Add(p);
            if (p.DonorHash is not null) stepDonors.Add(p.DonorHash);
            if (marker is not null) stepMarkers.Add(marker);
        }
        return pledges;
    }

    /// <param name="activityRead">The velocity activity read by a try of this step that lost a race; set to this step's.</param>
    private async Task<StepResult> CountStepAsync(Shard shard, CampaignCounting counting, Turn turn, Doubt doubt,
        StrongBox<ActivityRead?> activityRead, CancellationToken ct)
    {
        var campaign = shard.Campaign;
        var partition = shard.Partition;
        var markers = turn.Markers;
        var created = turn.Created;
        // Messages that arrived since the last step (while it committed) join this one. A try after a lost race keeps to
        // the pledges of the try before (their reads are done): taking more would widen the window for losing again.
        if (doubt == Doubt.None) turn.TakeWaiting();
        var tried = doubt != Doubt.None && activityRead.Value is { } before ? turn.Pending.Where(p => before.PledgeIds.Contains(p.Id)).ToList() : [];
        var candidates = tried.Count > 0 ? tried : turn.Pending;
        var pledges = Pack(candidates, markers);
        // Pledges of a donor whose row a try before lost on wait for the next step (Turn.LeftOut: a row another instance changed,
        // always; a donor taken for new, when more pledges wait than this step takes, so that a step follows anyway); otherwise
        // this try waits for the read of that row, sent when the try before lost.
        var leaveOut = turn.LeftOut.Where(d => d.Value || turn.Pending.Count > pledges.Count).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
        if (leaveOut.Count > 0 && pledges.Any(p => p.DonorHash is not null && leaveOut.Contains(p.DonorHash))
            && Pack(candidates.Where(p => p.DonorHash is null || !leaveOut.Contains(p.DonorHash)), markers) is { Count: > 0 } without)
            pledges = without;
        var stepPledges = pledges.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var stepDonors = pledges.Where(p => p.DonorHash is not null).Select(p => p.DonorHash!).ToHashSet(StringComparer.Ordinal);

        // Reads only for what this instance cannot vouch for; the ones needed are independent, so they run at once.
        var cached = counting.Totals;
        var stateTask = doubt is Doubt.Totals or Doubt.All || cached is null ? ReadTotalsAsync(partition, counting.Lane, ct) : Task.FromResult(((TotalsState, ETag?))(cached.Value.State.Clone(), cached.Value.ETag));
        var markersTask = KnowMarkersAsync(partition, pledges, markers, ct);
        // Donors who gave before (another instance may have counted them): their rows read ahead are newer than this instance's
        // view unless it wrote the row after the read went out (a read with the last commit is always newer: that step's own
        // donors are not in it). One such donor not read ahead and unknown here is read now: adding their row blind would most
        // likely fail the commit. readLately: donors whose rows were read since the step's messages arrived.
        var readLately = new HashSet<string>(StringComparer.Ordinal);
        foreach (var early in turn.EarlyDonors.Where(r => r.Hashes.Overlaps(stepDonors)).ToList())
        {
            Dictionary<string, DonorRow>? rows;
            // A read ahead is optional: one that failed, whatever the reason, is as if not made (the step reads what it needs).
            try { rows = await early.Rows; }
            catch (Exception failed) when (failed is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                turn.EarlyDonors.Remove(early);
                if (ReferenceEquals(counting.CatchUp, early)) counting.CatchUp = null;
                continue;
            }
            foreach (var hash in early.Hashes.Where(stepDonors.Contains))
            {
                readLately.Add(hash);
                if (counting.Donors.GetValueOrDefault(hash) is { } known && known.At >= early.At) continue;
                if (rows?.TryGetValue(hash, out var row) == true) counting.Donors[hash] = row;
                else counting.Donors.Remove(hash);
            }
        }
        // A donor who gave before is read now if this instance does not know their row, or, while another instance counts the
        // shard too, if it was not read since their message arrived (it arrived before this instance knew of the other).
        var shared = counting.SharedAt(clock.GetTimestamp());
        var reread = doubt == Doubt.All || turn.ReadAllDonors ? stepDonors
            : pledges.Where(p => turn.GaveBefore(p, campaign) && !counting.Trusts(p.DonorHash!, shared, readLately))
                .Select(p => p.DonorHash!).ToHashSet(StringComparer.Ordinal);
        var donorsTask = reread.Count > 0 ? ReadDonorsAsync(partition, reread, ct) : Task.FromResult<Dictionary<string, DonorRow>?>(null);
        var needsActivity = NeedsActivity(campaign, cached?.State, pledges);
        // What was read before (as each message arrived, or by a try of this step that lost a race) is used for the pledges it
        // was read for; the others (a message that arrived while no fund seemed able to match) are read now. Each read is
        // complete for its own pledges' windows, so their union is for all of them.
        var reads = !needsActivity ? [] : turn.EarlyReads.Prepend(activityRead.Value).OfType<ActivityRead>()
            .Where(r => r.Activity is { IsFaulted: false, IsCanceled: false } && pledges.Any(p => r.PledgeIds.Contains(p.Id))).ToList();
        var unread = pledges.Where(p => !reads.Any(r => r.PledgeIds.Contains(p.Id))).ToList();
        if (needsActivity && unread.Count > 0) reads.Add(new ActivityRead([], _activity.ReadAsync(partition, unread, created, ct)));
        var activityTask = reads.Count == 0 ? Task.FromResult(new Dictionary<string, Dictionary<string, DateTimeOffset>>())
            : reads.Count == 1 ? reads[0].Activity
            : UnionAsync(reads.Select(r => r.Activity).ToList());
        activityRead.Value = needsActivity ? new ActivityRead(pledges.Select(p => p.Id).ToHashSet(StringComparer.Ordinal), activityTask) : null;
        await Task.WhenAll(stateTask, markersTask, donorsTask, activityTask);
        var (state, stateETag) = stateTask.Result;
        if (donorsTask.Result is { } read)
        {
            foreach (var hash in reread)
                if (read.TryGetValue(hash, out var row)) counting.Donors[hash] = row;
                else counting.Donors.Remove(hash);
        }
        // Uncounted: still listed in its marker. A pledge whose marker is gone, or no longer lists it, was counted before.
        var uncounted = pledges.Where(p => markers.MarkerOf.GetValueOrDefault(p.Id) is { } m && markers.Markers.GetValueOrDefault(m) is { } known && known.Listed.Contains(p.Id)).ToList();
        if (uncounted.Count == 0) return new StepResult(stepPledges, []);
        // A donor this instance has not seen is taken to be new: their row is added, and if it exists after all
        // the transaction fails and the next attempt reads it. Most donors on a giving day give once.
        DonorRow? Known(string hash) => counting.Donors.GetValueOrDefault(hash);
        var activity = activityTask.Result;
        MatchingLedger Matching(IReadOnlyDictionary<string, Money> remaining) => new(campaign.MatchingFunds, remaining,
            hash => new DonorHistory(Known(hash)?.Matched ?? new Dictionary<string, Money>(), activity.GetValueOrDefault(hash) ?? new Dictionary<string, DateTimeOffset>()));
        PledgeToMatch ToMatch(Pledge p) => new(p.Id, p.ProjectId, p.Amount, p.DonorHash, p.AcceptedAt);
        IReadOnlyDictionary<string, Money> remaining;
        if (campaign.Shards == 1)
            remaining = campaign.MatchingFunds.ToDictionary(f => f.Id, f => new Money(state.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen) - state.Used(f.Id)));
        else
        {
            // A shard matches from its allotment. What the step would match with no pool limit says what it needs; if the
            // allotment holds that, the decisions are the same as with it, otherwise the shard draws what it lacks first.
            Dictionary<string, Money> Allotment() => campaign.MatchingFunds.ToDictionary(f => f.Id,
                f => new Money(Math.Max(0, (counting.Allotted?.GetValueOrDefault(f.Id) ?? 0) - state.Used(f.Id) - state.Released(f.Id))));
            // A fund that cannot give all it is asked for is then taken as it is, and the step asks again: the pledges it
            // leaves unmatched may fall to the next fund in order, which may then need a draw of its own.
            var limited = new HashSet<string>(StringComparer.Ordinal);
            remaining = Allotment();
            for (var round = 0; round <= campaign.MatchingFunds.Count; round++)
            {
                var trial = Matching(campaign.MatchingFunds.ToDictionary(f => f.Id, f => limited.Contains(f.Id) ? remaining[f.Id] : Unlimited));
                var wanted = uncounted.Select(p => trial.Apply(ToMatch(p))).Where(d => d.FundId is not null && !limited.Contains(d.FundId))
                    .GroupBy(d => d.FundId!).ToDictionary(g => g.Key, g => g.Sum(d => d.Matched.Fen));
                var lacking = wanted.Where(w => w.Value > remaining[w.Key].Fen).ToDictionary();
                if (lacking.Count == 0) break;
                counting.Allotted = await allotments.DrawAsync(campaign, FundShares.Key(shard.Number, counting.Lane), lacking, state, ct);
                remaining = Allotment();
                foreach (var (fundId, want) in lacking)
                    if (want > remaining[fundId].Fen) limited.Add(fundId);
            }
        }
        var matching = Matching(remaining);

        // The totals row goes first (its action is set once the step's figures are known): when another instance committed a
        // step of this shard since (the usual lost race), the storage stops at the first action instead of doing the step's
        // whole work before failing it.
        const int TotalsAction = 0;
        var actions = new List<TableTransactionAction>(MaxActions) { null! };
        var stepProjects = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var recent = new List<RecentGift>();
        var entries = new List<LedgerEntry>(uncounted.Count);
        var countedAt = clock.GetUtcNow();
        foreach (var p in uncounted)
        {
            // Offline gifts carry no contact, so the rules never match them.
            var decision = matching.Apply(ToMatch(p));
            entries.Add(new LedgerEntry(p.Id, p.ProjectId, p.Amount, decision.Matched, decision.FundId, p.Channel, p.MaskedName,
                LedgerEntry.TruncateToMilliseconds(p.AcceptedAt)));

            actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(partition, LedgerKeys.Pledge(p.Id))
            {
                ["Counted"] = true,
                ["Matched"] = decision.Matched.Fen,
                ["FundId"] = decision.FundId,
                ["CountedAt"] = countedAt,
            }, ETag.All));

            var project = state.Project(p.ProjectId);
            project.Raised += p.Amount.Fen; project.Matched += decision.Matched.Fen; project.Pledges++;
            state.Totals.Raised += p.Amount.Fen; state.Totals.Matched += decision.Matched.Fen; state.Totals.Pledges++;
            if (decision.FundId is not null) state.FundUsed[decision.FundId] = state.Used(decision.FundId) + decision.Matched.Fen;
            if (p.DonorHash is null)
            {
                // A pledge without a contact is a donor of its own.
                state.Totals.Donors++;
                project.Donors++;
            }
            else
            {
                var known = Known(p.DonorHash);
                if (!stepProjects.TryGetValue(p.DonorHash, out var projects))
                {
                    stepProjects[p.DonorHash] = projects = new HashSet<string>(known?.Projects ?? new HashSet<string>(), StringComparer.Ordinal);
                    if (known is null) state.Totals.Donors++;
                }
                if (projects.Add(p.ProjectId)) project.Donors++;
            }
            recent.Add(new RecentGift(p.ProjectId, p.Amount.Fen, p.MaskedName, p.Message, p.AcceptedAt));
        }

        // One row per donor: added for a new donor, or replaced under its ETag with what the donor has been matched
        // and the projects they gave to (for per-project distinct donors).
        var donorMatched = matching.DonorMatched;
        var donorRows = new List<(string Hash, int Index, IReadOnlyDictionary<string, Money> Matched, IReadOnlySet<string> Projects)>();
        foreach (var (hash, projects) in stepProjects)
        {
            var matched = donorMatched.GetValueOrDefault(hash) ?? Known(hash)?.Matched ?? new Dictionary<string, Money>();
            // A known donor whose row the step would write as it is (no project new to them, nothing matched to them) is left
            // out of the transaction, so another instance's change to that row cannot fail it. That holds with a stale view:
            // a donor's row only grows, so a project known here is in the row now, and a match refused with a stale (lower)
            // matched total is refused with the current one too (the velocity rule and the pools do not depend on the row).
            // A returning donor past their cap or the velocity rule is the usual case, and the one two instances race for.
            if (Known(hash) is { } unchanged && projects.SetEquals(unchanged.Projects) && SameMatched(matched, unchanged.Matched)) continue;
            var row = new TableEntity(partition, LedgerKeys.Donor(hash))
            {
                ["Matched"] = JsonSerializer.Serialize(matched, GivingDayJson.Options),
                ["Projects"] = JsonSerializer.Serialize(projects.Order(StringComparer.Ordinal), GivingDayJson.Options),
            };
            donorRows.Add((hash, actions.Count, matched, projects));
            actions.Add(Known(hash) is { } known
                ? new(TableTransactionActionType.UpdateReplace, row, known.ETag)
                : new(TableTransactionActionType.Add, row));
        }

        // Each marker loses the pledges counted here, under its ETag: that is what makes a pledge count once. A marker
        // left empty is deleted.
        var markerActions = new List<(string Id, int Index, HashSet<string> Left)>();
        foreach (var group in uncounted.GroupBy(p => markers.MarkerOf[p.Id]!))
        {
            var known = markers.Markers[group.Key]!;
            var left = known.Listed.Except(group.Select(p => p.Id)).ToHashSet(StringComparer.Ordinal);
            markerActions.Add((group.Key, actions.Count, left));
            actions.Add(left.Count == 0
                ? new(TableTransactionActionType.Delete, new TableEntity(partition, LedgerKeys.Marker(group.Key)), known.ETag)
                : new(TableTransactionActionType.UpdateMerge, new TableEntity(partition, LedgerKeys.Marker(group.Key)) { ["Pledges"] = string.Join(',', left.Order(StringComparer.Ordinal)) }, known.ETag));
        }

        // What this step counted, for the public ledger's next tick to sequence without scanning (docs/ledger.md).
        actions.Add(new(TableTransactionActionType.Add, LedgerMarkers.Row(partition, countedAt, entries)));

        state.AddRecent(recent);
        actions[TotalsAction] = stateETag is { } e
            ? new(TableTransactionActionType.UpdateReplace, state.ToRow(partition, counting.Lane), e)
            : new(TableTransactionActionType.Add, state.ToRow(partition, counting.Lane));

        // The next step's reads of donors who gave before go out with this commit, one round trip earlier than after it: the
        // donors that step would read (unknown here, or any while another instance counts the shard too); a known row is
        // current while this instance counts the shard alone, and its ETag guards the commit either way.
        // Messages that arrived while this step was read and worked out join the turn here, so that they are in that read.
        turn.TakeWaiting();
        var next = Pack(turn.Pending.Where(p => !stepPledges.Contains(p.Id)), markers) is { Count: > 0 } following ? following : null;
        var sharedNow = counting.SharedAt(clock.GetTimestamp());
        var donorsAhead = next?.Where(p => turn.GaveBefore(p, campaign) && !stepDonors.Contains(p.DonorHash!) && !counting.Trusts(p.DonorHash!, sharedNow))
            .Select(p => p.DonorHash!).ToHashSet(StringComparer.Ordinal);
        if (donorsAhead is { Count: > 0 }) turn.EarlyDonors.Add(ReadDonorsAhead(partition, donorsAhead, ct));
        IReadOnlyList<Response> replies;
        try
        {
            replies = await pipelines.GetPipeline(StoragePipelines.CountCommit).ExecuteAsync(
                async t => (await _ledger.SubmitTransactionAsync(actions, t)).Value, ct);
        }
        catch (Exception commitFailed) when (StoragePipelines.IsLostRace(commitFailed))
        {
            var failed = (commitFailed as TableTransactionFailedException)?.FailedTransactionActionIndex;
            throw new LostRace(commitFailed, failed is null ? FailedRow.Unknown : failed == TotalsAction ? FailedRow.Totals : FailedRow.Other,
                failed is { } at && at >= 0 && at < actions.Count ? actions[at].Entity.RowKey : null);
        }

        var answeredAt = clock.GetTimestamp();
        // The commit's replies carry the new ETags: the next step starts from them without reading.
        counting.Totals = ETagOf(replies, TotalsAction) is { } stateNow ? (state, stateNow) : null;
        if (counting.Donors.Count > MaxKnownDonors) counting.Donors.Clear();
        foreach (var d in donorRows)
            if (ETagOf(replies, d.Index) is { } donorNow) counting.Donors[d.Hash] = new DonorRow(donorNow, d.Matched, d.Projects, answeredAt);
            else counting.Donors.Remove(d.Hash);
        foreach (var m in markerActions)
            if (m.Left.Count == 0) markers.Gone(m.Id);
            else markers.Markers[m.Id] = ETagOf(replies, m.Index) is { } markerNow ? new TurnMarkers.Known(markerNow, m.Left) : null;
        return new StepResult(stepPledges, uncounted.Select(p => p.Id).ToList());
    }

    private static async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> UnionAsync(
        IReadOnlyList<Task<Dictionary<string, Dictionary<string, DateTimeOffset>>>> reads)
    {
        // A copy: each read may be used again by a later try or step.
        var union = new Dictionary<string, Dictionary<string, DateTimeOffset>>(StringComparer.Ordinal);
        foreach (var read in await Task.WhenAll(reads))
            foreach (var (donor, times) in read)
            {
                if (!union.TryGetValue(donor, out var known)) union[donor] = known = new(StringComparer.Ordinal);
                foreach (var (pledge, at) in times) known[pledge] = at;
            }
        return union;
    }

    private static bool SameMatched(IReadOnlyDictionary<string, Money> a, IReadOnlyDictionary<string, Money> b) =>
        a.Keys.Union(b.Keys).All(fund => a.GetValueOrDefault(fund).Fen == b.GetValueOrDefault(fund).Fen);

    private static ETag? ETagOf(IReadOnlyList<Response> replies, int index) =>
        index < replies.Count && replies[index]?.Headers.ETag is { } etag ? etag : null;

    /// <summary>The velocity rule only matters while a fund can still match one of the pledges: a fund whose window
    /// and projects cover it and (as far as this instance knows) has money left.</summary>
    private static bool NeedsActivity(Campaign campaign, TotalsState? known, List<Pledge> pledges) =>
        campaign.MatchingFunds.Any(f =>
            (campaign.Shards > 1 || known is null || known.FundPools.GetValueOrDefault(f.Id, f.Pool.Fen) - known.Used(f.Id) > 0)
            && pledges.Any(p => p.DonorHash is not null && f.Covers(p.ProjectId, p.AcceptedAt)));

    private Task<(TotalsState State, ETag? ETag)> ReadTotalsAsync(string partition, int lane, CancellationToken ct) =>
        TotalsState.ReadAsync(_ledger, pipelines.GetPipeline(StoragePipelines.Storage), partition, ct, lane);

    /// <summary>Point reads, in parallel: the cheapest read there is (a filter query may scan the partition). Up to as many at
    /// once as a step has rows, so that reading a step's donors costs one round trip, not one per sixteen of them (a larger
    /// read, such as a catch-up of the donors in hand, goes a hundred at a time).</summary>
    private async Task<Dictionary<string, TableEntity>> ReadRowsAsync(string partition, IEnumerable<string> rowKeys, CancellationToken ct)
    {
        var found = new Dictionary<string, TableEntity>();
        await Parallel.ForEachAsync(rowKeys.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = MaxActions, CancellationToken = ct }, async (key, token) =>
        {
            var row = await pipelines.GetPipeline(StoragePipelines.Storage).ExecuteAsync(async t =>
                await _ledger.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: t), token);
            if (row.HasValue) lock (found) found[key] = row.Value!;
        });
        return found;
    }

    /// <summary>Makes sure the turn knows the marker of each pledge and where that marker stands: a pledge queued
    /// without its marker has its row read (it names the marker, and says whether it was counted), then each marker
    /// not known is read. Nothing is read in the common case: the message carried the marker as committed.</summary>
    private async Task KnowMarkersAsync(string partition, List<Pledge> pledges, TurnMarkers markers, CancellationToken ct)
    {
        var withoutMarker = pledges.Where(p => markers.MarkerOf.GetValueOrDefault(p.Id) is null).Select(p => p.Id).ToList();
        if (withoutMarker.Count > 0)
        {
            var rows = await ReadRowsAsync(partition, withoutMarker.Select(LedgerKeys.Pledge), ct);
            foreach (var id in withoutMarker)
                if (rows.TryGetValue(LedgerKeys.Pledge(id), out var row) && row.GetBoolean("Counted") != true)
                {
                    var marker = PledgeRows.MarkerOf(row);
                    markers.MarkerOf[id] = marker;
                    if (!markers.Markers.ContainsKey(marker)) markers.Markers[marker] = null;
                }
        }
        // A marker this turn saw deleted stays gone: only those known to exist but not known how are read.
        var unknown = pledges.Select(p => markers.MarkerOf.GetValueOrDefault(p.Id)).OfType<string>()
            .Where(m => markers.Markers.TryGetValue(m, out var known) && known is null).Distinct().ToList();
        if (unknown.Count == 0) return;
        var found = await ReadRowsAsync(partition, unknown.Select(LedgerKeys.Marker), ct);
        foreach (var id in unknown)
            if (found.TryGetValue(LedgerKeys.Marker(id), out var row))
                markers.Markers[id] = new TurnMarkers.Known(row.ETag, PledgeRows.MarkedPledges(row).ToHashSet(StringComparer.Ordinal));
            else markers.Gone(id);
    }

    private DonorRead ReadDonorsAhead(string partition, HashSet<string> hashes, CancellationToken ct)
    {
        var at = clock.GetTimestamp();
        return new DonorRead(hashes, ReadDonorsAsync(partition, hashes, ct, at), at);
    }

    private async Task<Dictionary<string, DonorRow>?> ReadDonorsAsync(string partition, IEnumerable<string> hashes, CancellationToken ct, long? sentAt = null)
    {
        var at = sentAt ?? clock.GetTimestamp();
        var rows = new Dictionary<string, DonorRow>(StringComparer.Ordinal);
        foreach (var (key, row) in await ReadRowsAsync(partition, hashes.Select(LedgerKeys.Donor), ct))
            rows[key[2..]] = new DonorRow(row.ETag,
                JsonSerializer.Deserialize<Dictionary<string, Money>>(row.GetString("Matched") ?? "{}", GivingDayJson.Options) ?? new(),
                (JsonSerializer.Deserialize<List<string>>(row.GetString("Projects") ?? "[]", GivingDayJson.Options) ?? []).ToHashSet(StringComparer.Ordinal), at);
        return rows;
    }

}
