using System.Numerics;
using System.Security.Cryptography;

namespace GivingDay.Ledger;

/// <summary>A contiguous run of leaves [Start, End) whose Merkle tree hash, MTH(D[Start:End]), is one element of a proof.</summary>
public readonly record struct LeafRange(long Start, long End)
{
    public long Size => End - Start;
    /// <summary>A perfect subtree: a power-of-two number of leaves starting at a multiple of that power.</summary>
    public bool IsPerfect => Size > 0 && BitOperations.IsPow2(Size) && Start % Size == 0;
}

/// <summary>RFC 6962 §2.1 (= RFC 9162 §2.1) Merkle tree hashing, proofs and their verification.
/// Proofs are computed as lists of <see cref="LeafRange"/>s, so that storage can resolve each range from the
/// perfect-subtree hashes it keeps (every range in a proof is a perfect subtree, or a right edge made of a few).</summary>
public static class MerkleTree
{
    public const int HashSize = 32;

    /// <summary>MTH({}) = SHA-256 of the empty string.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>MTH({d}) = SHA-256(0x00 ‖ d).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        var buffer = entry.Length <= 1024 ? stackalloc byte[entry.Length + 1] : new byte[entry.Length + 1];
        buffer[0] = 0x00;
        entry.CopyTo(buffer[1..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right).</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The largest power of two smaller than n (n ≥ 2): where RFC 6962 splits a tree of n leaves.</summary>
    public static long Split(long n) => n < 2 ? throw new ArgumentOutOfRangeException(nameof(n)) : 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>MTH over a range, given a way to get the hash of any perfect subtree inside it.</summary>
    public static byte[] RangeHash(LeafRange range, Func<LeafRange, byte[]> perfect)
    {
        if (range.Size <= 0) throw new ArgumentOutOfRangeException(nameof(range));
        if (range.IsPerfect) return perfect(range);
        var k = Split(range.Size);
        return NodeHash(RangeHash(new(range.Start, range.Start + k), perfect), RangeHash(new(range.Start + k, range.End), perfect));
    }

    /// <summary>The perfect subtrees whose hashes <see cref="RangeHash"/> needs for the range (at most two per level).</summary>
    public static void PerfectParts(LeafRange range, ICollection<LeafRange> into)
    {
        if (range.IsPerfect) { into.Add(range); return; }
        var k = Split(range.Size);
        PerfectParts(new(range.Start, range.Start + k), into);
        PerfectParts(new(range.Start + k, range.End), into);
    }

    /// <summary>MTH of a whole list of leaf hashes (for small in-memory trees and perfect subtrees).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes, int start, int count)
    {
        if (count == 0) return EmptyRoot();
        if (count == 1) return leafHashes[start];
        var k = (int)Split(count);
        return NodeHash(Root(leafHashes, start, k), Root(leafHashes, start + k, count - k));
    }

    /// <summary>PATH(m, D[n]) of RFC 6962 §2.1.1, leaf to root: the ranges whose hashes make the audit path.</summary>
    public static IReadOnlyList<LeafRange> InclusionRanges(long leafIndex, long treeSize)
    {
        if (leafIndex < 0 || leafIndex >= treeSize) throw new ArgumentOutOfRangeException(nameof(leafIndex));
        var path = new List<LeafRange>();
        Path(leafIndex, 0, treeSize, path);
        return path;
    }

    private static void Path(long m, long start, long end, List<LeafRange> path)
    {
        if (end - start == 1) return;
        var k = Split(end - start);
        if (m < start + k) { Path(m, start, start + k, path); path.Add(new(start + k, end)); }
        else { Path(m, start + k, end, path); path.Add(new(start, start + k)); }
    }

    /// <summary>PROOF(m, D[n]) of RFC 6962 §2.1.2: the ranges whose hashes prove that the tree of
    /// <paramref name="first"/> leaves is a prefix of the tree of <paramref name="second"/>. Empty when they are equal.</summary>
    public static IReadOnlyList<LeafRange> ConsistencyRanges(long first, long second)
    {
        if (first < 1 || first > second) throw new ArgumentOutOfRangeException(nameof(first));
        var proof = new List<LeafRange>();
        if (first < second) SubProof(first, 0, second, true, proof);
        return proof;
    }

    // SUBPROOF(m, D[start:end], b), with m counted from start.
    private static void SubProof(long m, long start, long end, bool whole, List<LeafRange> proof)
    {
        var n = end - start;
        if (m == n)
        {
            if (!whole) proof.Add(new(start, end));
            return;
        }
        var k = Split(n);
        if (m <= k) { SubProof(m, start, start + k, whole, proof); proof.Add(new(start + k, end)); }
        else { SubProof(m - k, start + k, end, false, proof); proof.Add(new(start, start + k)); }
    }

    /// <summary>RFC 9162 §2.1.3.2: does the audit path lead from the leaf hash at this index to the root?</summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long leafIndex, long treeSize, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        if (leafIndex < 0 || leafIndex >= treeSize || leafHash.Length != HashSize || root.Length != HashSize) return false;
        long fn = leafIndex, sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in path)
        {
            if (p.Length != HashSize || sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0) while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else r = NodeHash(r, p);
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 §2.1.4.2: does the consistency path prove the first tree a prefix of the second?
    /// Equal sizes need an empty path and equal roots.</summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> path)
    {
        if (first < 1 || first > second || firstRoot.Length != HashSize || secondRoot.Length != HashSize) return false;
        if (first == second) return path.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        if (path.Count == 0 || path.Any(p => p.Length != HashSize)) return false;
        var proof = BitOperations.IsPow2(first) ? [firstRoot.ToArray(), .. path] : path.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = proof[0], sr = proof[0];
        foreach (var c in proof.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0) while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else sr = NodeHash(sr, c);
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }
}
