using System.Text;
using GivingDay.Ledger;

namespace GivingDay.Tests.Ledger;

public class MerkleTreeTests
{
    // The leaves of the RFC 6962 reference implementation's tests (certificate-transparency merkle_tree_test),
    // and the roots of their first 1..8 leaves.
    private static readonly byte[][] CtLeaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        Convert.FromHexString("606162636465666768696a6b6c6d6e6f"),
    ];

    private static readonly string[] CtRoots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static List<byte[]> Entries(int n, int seed = 1) =>
        Enumerable.Range(0, n).Select(i => Encoding.UTF8.GetBytes($"entry {seed}/{i}: 守护早产小天使 {i * 7919 % 1000}")).ToList();

    private static byte[] ProductionRange(IReadOnlyList<byte[]> leafHashes, LeafRange range) =>
        MerkleTree.RangeHash(range, p => MerkleTree.Root(leafHashes, (int)p.Start, (int)p.Size));

    private static List<byte[]> Resolve(IReadOnlyList<byte[]> leafHashes, IReadOnlyList<LeafRange> ranges) =>
        ranges.Select(r => ProductionRange(leafHashes, r)).ToList();

    [Fact]
    public void Empty_tree_hash_is_sha256_of_nothing() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.EmptyRoot()));

    [Fact]
    public void Roots_equal_the_rfc6962_reference_vectors_and_the_independent_implementation()
    {
        var reference = new ReferenceMerkle(CtLeaves);
        var leaves = CtLeaves.Select(e => MerkleTree.LeafHash(e)).ToList();
        for (var n = 1; n <= CtLeaves.Length; n++)
        {
            Assert.Equal(CtRoots[n - 1], Convert.ToHexStringLower(reference.Root(n)));
            Assert.Equal(CtRoots[n - 1], Convert.ToHexStringLower(MerkleTree.Root(leaves, 0, n)));
        }
    }

    [Fact]
    public void Own_vectors_over_ledger_entries()
    {
        // Three entries of the canonical form; their root, fixed here once and checked against the reference each run.
        var entries = new[]
        {
            new LedgerEntry("p1", "zaochan", new(5000), new(5000), "tencent", "online", "张*", new DateTimeOffset(2026, 5, 8, 1, 2, 3, 456, TimeSpan.Zero)),
            new LedgerEntry("p2", "weixinyuan", new(100), new(0), null, "offline", null, new DateTimeOffset(2026, 5, 8, 9, 0, 0, TimeSpan.FromHours(8))),
            new LedgerEntry("p3", "songwanjia", new(5000000), new(0), null, "online", "A\"\\\n\u0001*", new DateTimeOffset(2026, 5, 8, 1, 2, 3, 4, TimeSpan.Zero)),
        };
        Assert.Equal("{\"pledgeId\":\"p1\",\"projectId\":\"zaochan\",\"amount\":5000,\"matched\":5000,\"fundId\":\"tencent\",\"channel\":\"online\",\"maskedName\":\"张*\",\"acceptedAt\":\"2026-05-08T01:02:03.456Z\"}", entries[0].CanonicalJson());
        Assert.Equal("{\"pledgeId\":\"p2\",\"projectId\":\"weixinyuan\",\"amount\":100,\"matched\":0,\"fundId\":null,\"channel\":\"offline\",\"maskedName\":null,\"acceptedAt\":\"2026-05-08T01:00:00.000Z\"}", entries[1].CanonicalJson());
        Assert.Equal("{\"pledgeId\":\"p3\",\"projectId\":\"songwanjia\",\"amount\":5000000,\"matched\":0,\"fundId\":null,\"channel\":\"online\",\"maskedName\":\"A\\\"\\\\\\n\\u0001*\",\"acceptedAt\":\"2026-05-08T01:02:03.004Z\"}", entries[2].CanonicalJson());
        foreach (var e in entries) Assert.Equal(e, LedgerEntry.Parse(e.CanonicalJson()));
        // Computed outside .NET (python3: sha256(b"\x00" + entry bytes)), and shown in docs/ledger.md.
        Assert.Equal("36ea90ccc5c9a0de50f6f2915e5c76d325023f91f56e84e639f9505989ccd7f4", Convert.ToHexStringLower(entries[0].LeafHash()));

        var bytes = entries.Select(e => e.CanonicalBytes()).ToList();
        var reference = new ReferenceMerkle(bytes);
        var leaves = entries.Select(e => e.LeafHash()).ToList();
        for (var i = 0; i < 3; i++) Assert.Equal(ReferenceMerkle.Leaf(bytes[i]), leaves[i]);
        Assert.Equal(reference.Root(3), MerkleTree.Root(leaves, 0, 3));
        Assert.Equal(reference.Path(0, 3), Resolve(leaves, MerkleTree.InclusionRanges(0, 3)));
        Assert.Equal(reference.Proof(2, 3), Resolve(leaves, MerkleTree.ConsistencyRanges(2, 3)));
    }

    /// <summary>Tree sizes whose every proof is compared: every size up to 70 (every shape of the first six levels), and
    /// the sizes on either side of the next powers of two, where a tree's shape changes.</summary>
    private static readonly int[] Sizes = [.. Enumerable.Range(1, 70), 127, 128, 129, 255, 256, 257, 300];

    [Fact]
    public void Every_inclusion_proof_equals_the_reference_and_verifies()
    {
        var entries = Entries(Sizes[^1]);
        var reference = new ReferenceMerkle(entries);
        var leaves = entries.Select(e => MerkleTree.LeafHash(e)).ToList();
        foreach (var n in Sizes)
        {
            var root = reference.Root(n);
            Assert.Equal(root, ProductionRange(leaves, new LeafRange(0, n)));
            for (var m = 0; m < n; m++)
            {
                var path = Resolve(leaves, MerkleTree.InclusionRanges(m, n));
                Assert.Equal(reference.Path(m, n), path);
                Assert.True(MerkleTree.VerifyInclusion(leaves[m], m, n, path, root), $"leaf {m} in {n}");
                if (m % 17 == 0)
                {
                    // A changed entry, a changed path hash, or the wrong index fail.
                    Assert.False(MerkleTree.VerifyInclusion(MerkleTree.LeafHash([.. entries[m], 0x20]), m, n, path, root));
                    if (path.Count > 0)
                    {
                        var bad = path.Select(p => p.ToArray()).ToList();
                        bad[m % bad.Count][m % 32] ^= 1;
                        Assert.False(MerkleTree.VerifyInclusion(leaves[m], m, n, bad, root));
                        Assert.False(MerkleTree.VerifyInclusion(leaves[m], m, n, path.Take(path.Count - 1).ToList(), root));
                    }
                    if (n > 1) Assert.False(MerkleTree.VerifyInclusion(leaves[m], (m + 1) % n, n, path, root));
                }
            }
        }
    }

    [Fact]
    public void Every_consistency_proof_equals_the_reference_and_verifies()
    {
        var entries = Entries(Sizes[^1], seed: 2);
        var reference = new ReferenceMerkle(entries);
        var leaves = entries.Select(e => MerkleTree.LeafHash(e)).ToList();
        var roots = Enumerable.Range(0, Sizes[^1] + 1).Select(n => reference.Root(n)).ToArray();
        foreach (var second in Sizes)
            for (var first = 1; first <= second; first++)
            {
                var proof = Resolve(leaves, MerkleTree.ConsistencyRanges(first, second));
                Assert.Equal(reference.Proof(first, second), proof);
                Assert.True(MerkleTree.VerifyConsistency(first, second, roots[first], roots[second], proof), $"{first} → {second}");
                if ((first * 31 + second) % 23 == 0 && first < second)
                {
                    var bad = proof.Select(p => p.ToArray()).ToList();
                    bad[first % bad.Count][0] ^= 0x80;
                    Assert.False(MerkleTree.VerifyConsistency(first, second, roots[first], roots[second], bad));
                    Assert.False(MerkleTree.VerifyConsistency(first, second, roots[first], roots[second - 1], proof));
                    if (first > 1) Assert.False(MerkleTree.VerifyConsistency(first, second, roots[first - 1], roots[second], proof));
                    Assert.False(MerkleTree.VerifyConsistency(first, second, roots[first], roots[second], proof.Take(proof.Count - 1).ToList()));
                }
            }
    }

    [Fact]
    public void A_changed_entry_changes_the_root_and_breaks_consistency_with_the_old_one()
    {
        var entries = Entries(50, seed: 3);
        var before = new ReferenceMerkle(entries).Root(40);
        var changed = entries.Select(e => e.ToArray()).ToList();
        changed[17][0] ^= 1;
        var tampered = new ReferenceMerkle(changed);
        var leaves = changed.Select(e => MerkleTree.LeafHash(e)).ToList();
        Assert.NotEqual(before, tampered.Root(40));
        Assert.False(MerkleTree.VerifyConsistency(40, 50, before, tampered.Root(50), Resolve(leaves, MerkleTree.ConsistencyRanges(40, 50))));
    }
}

public class LedgerShapesTests
{
    [Fact]
    public void Route_answers_have_exactly_the_documented_fields()
    {
        static string[] Keys(object value) => System.Text.Json.JsonSerializer.SerializeToElement(value, GivingDay.Json.GivingDayJson.Options)
            .EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["campaignId", "treeSize", "rootHash", "timestamp", "signature", "keyId"], Keys(new Checkpoint("c", 1, "r", "t", "s", "k")));
        Assert.Equal(["leafIndex", "treeSize", "auditPath"], Keys(new InclusionProofView(0, 1, [])));
        Assert.Equal(["first", "second", "consistencyPath"], Keys(new ConsistencyProofView(1, 1, [])));
        Assert.Equal(["entries", "next"], Keys(new LedgerEntriesPage([], null)));
        Assert.Equal(["index", "leafHash", "entry"], Keys(new LedgerEntryView(0, "h", LedgerEntryFields.Of(LedgerTestKit.Entry(1)))));
        Assert.Equal(["pledgeId", "projectId", "amount", "matched", "fundId", "channel", "maskedName", "acceptedAt"], Keys(LedgerEntryFields.Of(LedgerTestKit.Entry(1))));
        Assert.Equal(["keyId", "algorithm", "signatureFormat", "publicKeyPem"], Keys(new LedgerPublicKey("k", "a", "f", "p")));
        // The entry as the route shows it serialises, key by key, to its canonical form.
        var entry = LedgerTestKit.Entry(3);
        Assert.Equal(entry.CanonicalJson(), System.Text.Json.JsonSerializer.Serialize(LedgerEntryFields.Of(entry), GivingDay.Json.GivingDayJson.Options));
    }
}
