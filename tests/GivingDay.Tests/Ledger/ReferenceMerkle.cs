using System.Security.Cryptography;

namespace GivingDay.Tests.Ledger;

/// <summary>RFC 6962 §2.1 written straight from its definitions, on lists of entries, sharing nothing with the
/// production code: the yardstick the ledger's hashing, proofs and stored proofs are checked against.
/// MTH(D[n]) splits at k, the largest power of two smaller than n; PATH and PROOF are the §2.1.1 and §2.1.2 recursions.</summary>
public sealed class ReferenceMerkle(IReadOnlyList<byte[]> entries)
{
    private readonly Dictionary<(int, int), byte[]> _memo = new();

    public static byte[] Sha256(params byte[][] parts) => SHA256.HashData(parts.SelectMany(p => p).ToArray());

    public static byte[] Leaf(byte[] entry) => Sha256([0x00], entry);

    private static int K(int n)
    {
        var k = 1;
        while (k * 2 < n) k *= 2;
        return k;
    }

    /// <summary>MTH(D[start:end]).</summary>
    public byte[] Mth(int start, int end)
    {
        var n = end - start;
        if (n == 0) return Sha256();
        if (n == 1) return Leaf(entries[start]);
        if (_memo.TryGetValue((start, end), out var known)) return known;
        var k = K(n);
        return _memo[(start, end)] = Sha256([0x01], Mth(start, start + k), Mth(start + k, end));
    }

    public byte[] Root(int n) => Mth(0, n);

    /// <summary>PATH(m, D[n]).</summary>
    public List<byte[]> Path(int m, int n) => Path(m, 0, n);

    private List<byte[]> Path(int m, int start, int end)
    {
        var n = end - start;
        if (n == 1) return [];
        var k = K(n);
        return m < k
            ? [.. Path(m, start, start + k), Mth(start + k, end)]
            : [.. Path(m - k, start + k, end), Mth(start, start + k)];
    }

    /// <summary>PROOF(m, D[n]) = SUBPROOF(m, D[n], true).</summary>
    public List<byte[]> Proof(int m, int n) => SubProof(m, 0, n, true);

    private List<byte[]> SubProof(int m, int start, int end, bool b)
    {
        var n = end - start;
        if (m == n) return b ? [] : [Mth(start, end)];
        var k = K(n);
        return m <= k
            ? [.. SubProof(m, start, start + k, b), Mth(start + k, end)]
            : [.. SubProof(m - k, start + k, end, false), Mth(start, start + k)];
    }
}
