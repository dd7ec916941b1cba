using Azure.Data.Tables;
using GivingDay.Ledger;
using GivingDay.Tests.Infrastructure;
using static GivingDay.Tests.Ledger.LedgerTestKit;

namespace GivingDay.Tests.Ledger;

/// <summary>The ledger in Azurite: what storage serves equals the independent implementation, sequencing is
/// exactly-once under racing sequencers, and tampering shows.</summary>
public class LedgerStorageTests
{
    [Fact]
    public async Task Proofs_from_storage_equal_the_reference_at_every_size_sequenced()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "proofs";
        // Uneven batches, crossing tile edges and past 64² entries so the second stratum of tiles is used.
        int[] batches = [1, 2, 61, 64, 1, 200, 130, 3700, 1, 340];
        var sizes = new List<long>();
        var appended = 0;
        foreach (var count in batches)
        {
            var head = await ledger.Sequencer.AppendAsync(campaign, Pending(appended, count), default);
            appended += count;
            Assert.Equal(appended, head.TreeSize);
            Assert.Equal(count, head.Appended);
            var reference = Reference(Enumerable.Range(0, appended).Select(i => Entry(i).CanonicalJson()));
            Assert.Equal(reference.Root(appended), head.Root);
            sizes.Add((await ledger.CheckpointAsync(campaign)).TreeSize);
        }

        var all = Reference(await StoredEntriesAsync(ledger, campaign));
        var fresh = new LedgerInstance(ledger.Account.Names.Prefix);
        foreach (var size in sizes)
        {
            var at = await fresh.Reader.CheckpointAsync(campaign, size, default);
            Assert.Equal(Convert.ToBase64String(all.Root((int)size)), at.Value!.RootHash);
            Assert.Equal(all.Root((int)size), await fresh.Reader.RootAtAsync(campaign, size, default));
            foreach (var leaf in new long[] { 0, 1, size / 3, size / 2, size - 2, size - 1 }.Where(l => l >= 0 && l < size).Distinct())
            {
                var proof = await fresh.Reader.InclusionProofAsync(campaign, Entry((int)leaf).PledgeId, size, default);
                Assert.Equal(LedgerOutcome.Found, proof.Outcome);
                Assert.Equal(leaf, proof.Value!.LeafIndex);
                Assert.Equal(all.Path((int)leaf, (int)size), Hashes(proof.Value.AuditPath));
            }
            foreach (var first in sizes.Where(s => s <= size))
            {
                var proof = await fresh.Reader.ConsistencyProofAsync(campaign, first, size, default);
                Assert.Equal(all.Proof((int)first, (int)size), Hashes(proof.Value!.ConsistencyPath));
            }
        }
    }

    [Fact]
    public async Task Two_sequencers_racing_over_the_same_pledges_sequence_each_exactly_once()
    {
        var prefix = Azurite.UniquePrefix();
        var a = new LedgerInstance(prefix);
        var b = new LedgerInstance(prefix);
        const string campaign = "race";
        // Round one: the same 600 pledges to both; round two: overlapping lists, in different orders.
        await Task.WhenAll(
            Task.Run(() => a.Sequencer.AppendAsync(campaign, Pending(0, 600), default)),
            Task.Run(() => b.Sequencer.AppendAsync(campaign, Pending(0, 600), default)));
        var round2A = Pending(400, 500);
        var round2B = Pending(300, 700); round2B.Reverse();
        var results = await Task.WhenAll(
            Task.Run(() => a.Sequencer.AppendAsync(campaign, round2A, default)),
            Task.Run(() => b.Sequencer.AppendAsync(campaign, round2B, default)));

        var stored = await StoredEntriesAsync(a, campaign);
        var ids = stored.Select(e => LedgerEntry.Parse(e).PledgeId).ToList();
        Assert.Equal(1000, ids.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => Entry(i).PledgeId).Order(), ids.Order());
        var head = await a.Store.HeadAsync(campaign, default);
        Assert.Equal(1000, head.TreeSize);
        Assert.Equal(Reference(stored).Root(1000), head.Root);
        // Every pledge-id row points at its entry.
        var indexRows = await a.Store.RangeAsync(campaign, "i|", "i}", default);
        Assert.Equal(1000, indexRows.Count);
        Assert.All(indexRows, r => Assert.Equal(r.RowKey[2..], ids[(int)r.GetInt64("Index")!.Value]));
        Assert.Equal(1000 - 600, results.Sum(r => r.Appended));
    }

    [Fact]
    public async Task Sequencing_survives_faults_and_lost_answers_without_sequencing_twice()
    {
        var prefix = Azurite.UniquePrefix();
        var faulty = new LedgerInstance(prefix, [Chaos.Faults(GivingDay.Resilience.StoragePipelines.Storage, 0.1), Chaos.LostAnswers(GivingDay.Resilience.StoragePipelines.Storage, 0.1)]);
        const string campaign = "faults";
        for (var round = 0; round < 4; round++)
        {
            for (var attempt = 0; ; attempt++)
            {
                try { await faulty.Sequencer.AppendAsync(campaign, Pending(0, 150 * (round + 1)), default); break; }
                catch (Exception) when (attempt < 20) { }
            }
        }
        var clean = new LedgerInstance(prefix);
        var stored = await StoredEntriesAsync(clean, campaign);
        Assert.Equal(600, stored.Count);
        Assert.Equal(600, stored.Select(e => LedgerEntry.Parse(e).PledgeId).Distinct().Count());
        Assert.Equal(Reference(stored).Root(600), (await clean.Store.HeadAsync(campaign, default)).Root);
    }

    [Fact]
    public async Task Ticks_on_two_instances_sequence_every_counted_pledge_once_and_every_proof_verifies_against_every_later_checkpoint()
    {
        var prefix = Azurite.UniquePrefix();
        var a = new LedgerInstance(prefix);
        var b = new LedgerInstance(prefix);
        const string campaign = "ticks";
        var counted = new List<LedgerEntry>();
        var checkpoints = new List<Checkpoint>();
        for (var round = 0; round < 5; round++)
        {
            var batch = Enumerable.Range(round * 120, 120).Select(i => Entry(i)).ToList();
            await WriteCountedPledgesAsync(a.Account, campaign, batch.Select(e => (e, DateTimeOffset.UtcNow)));
            counted.AddRange(batch);
            // Accepted but not counted yet: never in the ledger.
            await WriteCountedPledgesAsync(a.Account, campaign, [(Entry(round, "waiting"), DateTimeOffset.UtcNow)], counted: false);
            var ticks = await Task.WhenAll(Task.Run(() => a.Tick.RunAsync(campaign, default)), Task.Run(() => b.Tick.RunAsync(campaign, default)));
            checkpoints.AddRange(ticks.Select(c => c!));
        }
        // A pledge whose count landed long after its countedAt (a stalled instance) is picked up by the full sweep.
        var late = Entry(9999, "late");
        await WriteCountedPledgesAsync(a.Account, campaign, [(late, DateTimeOffset.UtcNow.AddHours(-1))]);
        Assert.Equal(counted.Count, (await a.Tick.RunAsync(campaign, default))!.TreeSize);
        var final = (await b.Tick.RunAsync(campaign, default, fullSweep: true))!;
        counted.Add(late);
        checkpoints.Add(final);
        Assert.Equal(counted.Count, final.TreeSize);

        var stored = await StoredEntriesAsync(a, campaign);
        Assert.Equal(counted.Select(e => e.CanonicalJson()).Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        var reference = Reference(stored);
        var key = await a.Signer.PublicKeyAsync(default);
        checkpoints = checkpoints.DistinctBy(c => c.TreeSize).OrderBy(c => c.TreeSize).ToList();
        foreach (var c in checkpoints)
        {
            Assert.True(SignatureVerifies(c, key), $"signature of checkpoint {c.TreeSize}");
            Assert.Equal(Convert.ToBase64String(reference.Root((int)c.TreeSize)), c.RootHash);
        }
        var reader = new LedgerInstance(prefix).Reader;
        for (var i = 0; i < stored.Count; i++)
        {
            var entry = LedgerEntry.Parse(stored[i]);
            foreach (var c in checkpoints.Where(c => c.TreeSize > i))
            {
                var proof = (await reader.InclusionProofAsync(campaign, entry.PledgeId, c.TreeSize, default)).Value!;
                Assert.True(MerkleTree.VerifyInclusion(entry.LeafHash(), proof.LeafIndex, c.TreeSize, Hashes(proof.AuditPath), Convert.FromBase64String(c.RootHash)));
            }
        }
        foreach (var first in checkpoints)
            foreach (var second in checkpoints.Where(c => c.TreeSize >= first.TreeSize))
            {
                var proof = (await reader.ConsistencyProofAsync(campaign, first.TreeSize, second.TreeSize, default)).Value!;
                Assert.True(MerkleTree.VerifyConsistency(first.TreeSize, second.TreeSize, Convert.FromBase64String(first.RootHash),
                    Convert.FromBase64String(second.RootHash), Hashes(proof.ConsistencyPath)));
            }
        Assert.Equal(LedgerOutcome.NotFound, (await reader.InclusionProofAsync(campaign, Entry(0, "waiting").PledgeId, null, default)).Outcome);
    }

    [Fact]
    public async Task Markers_from_counting_are_sequenced_once_by_racing_ticks_and_then_deleted()
    {
        var prefix = Azurite.UniquePrefix();
        var a = new LedgerInstance(prefix, source: "markers");
        var b = new LedgerInstance(prefix, source: "markers");
        const string campaign = "markers";
        var counted = new List<LedgerEntry>();
        for (var round = 0; round < 3; round++)
        {
            var batch = Enumerable.Range(round * 200, 200).Select(i => Entry(i)).ToList();
            await WriteCountedPledgesAsync(a.Account, campaign, batch.Select(e => (e, DateTimeOffset.UtcNow)));
            await WriteMarkersAsync(a.Account, campaign, batch, DateTimeOffset.UtcNow);
            counted.AddRange(batch);
            // A marker left behind by a tick that sequenced but died before deleting it: sequenced once all the same.
            if (round == 2) await WriteMarkersAsync(a.Account, campaign, counted.Take(30), DateTimeOffset.UtcNow);
            await Task.WhenAll(Task.Run(() => a.Tick.RunAsync(campaign, default)), Task.Run(() => b.Tick.RunAsync(campaign, default)));
        }
        // Counted before counting wrote markers: only a full sweep finds them.
        var older = Enumerable.Range(5000, 7).Select(i => Entry(i)).ToList();
        await WriteCountedPledgesAsync(a.Account, campaign, older.Select(e => (e, DateTimeOffset.UtcNow.AddHours(-2))));
        Assert.Equal(600, (await a.Tick.RunAsync(campaign, default))!.TreeSize);
        Assert.Equal(607, (await b.Tick.RunAsync(campaign, default, fullSweep: true))!.TreeSize);

        var stored = await StoredEntriesAsync(a, campaign);
        Assert.Equal(counted.Concat(older).Select(e => e.CanonicalJson()).Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        // Within the markers' order: the first 200 entries are round one's, in the order counting listed them.
        Assert.Equal(counted.Take(200).Select(e => e.CanonicalJson()), stored.Take(200));
        var left = await a.Account.Table(GivingDay.Storage.StorageNames.LedgerTable).QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {campaign} and RowKey ge {"s|"} and RowKey lt {"s}"}")).ToListAsync();
        Assert.Empty(left);
        Assert.Equal(Reference(stored).Root(607), (await a.Store.HeadAsync(campaign, default)).Root);
    }

    [Fact]
    public async Task Reader_answers_expected_states_as_outcomes()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "outcomes";
        Assert.Equal(LedgerOutcome.NotFound, (await ledger.Reader.CheckpointAsync(campaign, null, default)).Outcome);
        Assert.Equal(LedgerOutcome.NotFound, (await ledger.Reader.ConsistencyProofAsync(campaign, 1, 1, default)).Outcome);
        Assert.Equal(LedgerOutcome.NotFound, (await ledger.Reader.InclusionProofAsync(campaign, "nobody", null, default)).Outcome);
        Assert.Empty((await ledger.Reader.EntriesAsync(campaign, 0, null, default)).Value!.Entries);

        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 10), default);
        var first = await ledger.CheckpointAsync(campaign);
        // Sequenced after the latest checkpoint: not published, so not proven yet.
        await ledger.Sequencer.AppendAsync(campaign, Pending(10, 5), default);
        var reader = new LedgerInstance(ledger.Account.Names.Prefix).Reader;
        Assert.Equal(LedgerOutcome.NotFound, (await reader.InclusionProofAsync(campaign, Entry(12).PledgeId, null, default)).Outcome);
        Assert.Equal(LedgerOutcome.NotFound, (await reader.IndexOfAsync(campaign, Entry(12).PledgeId, default)).Outcome);
        Assert.Equal(3, (await reader.IndexOfAsync(campaign, Entry(3).PledgeId, default)).Value);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.CheckpointAsync(campaign, 11, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.CheckpointAsync(campaign, 0, default)).Outcome);
        Assert.Equal(LedgerOutcome.NotFound, (await reader.CheckpointAsync(campaign, 7, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.InclusionProofAsync(campaign, Entry(8).PledgeId, 5, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.InclusionProofAsync(campaign, Entry(8).PledgeId, 11, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.ConsistencyProofAsync(campaign, 5, 4, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.ConsistencyProofAsync(campaign, 0, 4, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.ConsistencyProofAsync(campaign, 4, 11, default)).Outcome);
        Assert.Equal(LedgerOutcome.OutOfRange, (await reader.EntriesAsync(campaign, 5, 11, default)).Outcome);
        var page = (await reader.EntriesAsync(campaign, 2, null, default)).Value!;
        Assert.Equal(Enumerable.Range(2, 8).Select(i => (long)i), page.Entries.Select(e => e.Index));
        Assert.Null(page.Next);
        Assert.Equal(Entry(4).CanonicalJson(), new LedgerEntry(page.Entries[2].Entry.PledgeId, page.Entries[2].Entry.ProjectId, page.Entries[2].Entry.Amount,
            page.Entries[2].Entry.Matched, page.Entries[2].Entry.FundId, page.Entries[2].Entry.Channel, page.Entries[2].Entry.MaskedName, Entry(4).AcceptedAt).CanonicalJson());
        Assert.Equal(Convert.ToBase64String(Entry(4).LeafHash()), page.Entries[2].LeafHash);
        Assert.Equal(first, (await reader.CheckpointAsync(campaign, null, default)).Value);
    }

    [Fact]
    public async Task An_entry_altered_in_storage_makes_verification_fail()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "tamper";
        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 100), default);
        var checkpoint = await ledger.CheckpointAsync(campaign);
        var root = Convert.FromBase64String(checkpoint.RootHash);

        // Someone with storage access raises entry 5's amount.
        var table = ledger.Store.Table;
        var row = (await table.GetEntityAsync<TableEntity>(campaign, LedgerRows.EntryTile(0))).Value;
        var altered = Entry(5) with { Amount = new(999_999) };
        row[LedgerRows.EntryProperty(5)] = altered.CanonicalJson();
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge);

        // Recomputed from the published entries, the root no longer matches the signed one.
        var reader = new LedgerInstance(ledger.Account.Names.Prefix).Reader;
        var page = (await reader.EntriesAsync(campaign, 0, 100, default)).Value!;
        Assert.Equal(Convert.ToBase64String(altered.LeafHash()), page.Entries[5].LeafHash);
        var leaves = Hashes(page.Entries.Select(e => e.LeafHash));
        Assert.NotEqual(root, MerkleTree.Root(leaves, 0, leaves.Count));
        // And the altered entry has no valid inclusion proof against the signed root.
        var proof = (await reader.InclusionProofAsync(campaign, altered.PledgeId, 100, default)).Value!;
        Assert.False(MerkleTree.VerifyInclusion(altered.LeafHash(), 5, 100, Hashes(proof.AuditPath), root));

        // Altering the stored leaf hashes as well breaks the proofs of its neighbours.
        row = (await table.GetEntityAsync<TableEntity>(campaign, LedgerRows.EntryTile(0))).Value;
        var hashes = row.GetBinary("LeafHashes")!;
        altered.LeafHash().CopyTo(hashes, 5 * MerkleTree.HashSize);
        row["LeafHashes"] = hashes;
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge);
        reader = new LedgerInstance(ledger.Account.Names.Prefix).Reader;
        var neighbour = (await reader.InclusionProofAsync(campaign, Entry(4).PledgeId, 100, default)).Value!;
        Assert.False(MerkleTree.VerifyInclusion(Entry(4).LeafHash(), 4, 100, Hashes(neighbour.AuditPath), root));
    }
}
