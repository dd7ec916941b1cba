using System.Security.Cryptography;

namespace GivingDay.Verify;

/// <summary>RFC 6962 §2.1, the verifier's own: the tree hash, and proof checks that rebuild the roots by following
/// the PATH and PROOF recursions of the RFC (not the bit-walking of RFC 9162 the app uses), so the two
/// implementations check each other.</summary>
public static class Rfc6962
{
    public static byte[] Hash(params byte[][] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in parts) sha.AppendData(p);
        return sha.GetHashAndReset();
    }

    public static byte[] Leaf(byte[] entry) => Hash([0x00], entry);
    public static byte[] Node(byte[] left, byte[] right) => Hash([0x01], left, right);

    /// <summary>k: the largest power of two smaller than n (n ≥ 2).</summary>
    public static long K(long n)
    {
        long k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    /// <summary>MTH(D[start:end]) from leaf hashes.</summary>
    public static byte[] Mth(IReadOnlyList<byte[]> leaves, long start, long end)
    {
        if (end == start) return Hash();
        if (end - start == 1) return leaves[(int)start];
        var k = K(end - start);
        return Node(Mth(leaves, start, start + k), Mth(leaves, start + k, end));
    }

    /// <summary>Rebuilds the root from a leaf and its audit path by the PATH(m, D[n]) recursion; null if the
    /// path has the wrong length for this index and size.</summary>
    public static byte[]? RootFromPath(byte[] leaf, long index, long size, IReadOnlyList<byte[]> path)
    {
        if (index < 0 || index >= size) return null;
        var used = 0;
        byte[]? Climb(long start, long end)
        {
            if (end - start == 1) return leaf;
            var k = K(end - start);
            var inner = index < start + k ? Climb(start, start + k) : Climb(start + k, end);
            if (inner is null || used >= path.Count) return null;
            var sibling = path[used++];
            return index < start + k ? Node(inner, sibling) : Node(sibling, inner);
        }
        var root = Climb(0, size);
        return used == path.Count ? root : null;
    }

    /// <summary>Does the path prove the first tree (size, root) a prefix of the second? Rebuilds both roots by the
    /// SUBPROOF(m, D[n], b) recursion, using the first root where the proof leaves it out.</summary>
    public static bool Consistent(long first, byte[] firstRoot, long second, byte[] secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 1 || first > second) return false;
        if (first == second) return proof.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        var used = 0;
        (byte[] Old, byte[] New)? Sub(long m, long start, long end, bool whole)
        {
            var n = end - start;
            if (m == n)
            {
                if (whole) return (firstRoot, firstRoot);
                if (used >= proof.Count) return null;
                var h = proof[used++];
                return (h, h);
            }
            var k = K(n);
            if (m <= k)
            {
                var inner = Sub(m, start, start + k, whole);
                if (inner is null || used >= proof.Count) return null;
                var right = proof[used++];
                return (inner.Value.Old, Node(inner.Value.New, right));
            }
            else
            {
                var inner = Sub(m - k, start + k, end, false);
                if (inner is null || used >= proof.Count) return null;
                var left = proof[used++];
                return (Node(left, inner.Value.Old), Node(left, inner.Value.New));
            }
        }
        var roots = Sub(first, 0, second, true);
        return roots is { } r && used == proof.Count
            && r.Old.AsSpan().SequenceEqual(firstRoot) && r.New.AsSpan().SequenceEqual(secondRoot);
    }
}
