using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GivingDay.Verify;

public sealed record SeenCheckpoint(string CampaignId, long TreeSize, string RootHash, string Timestamp, string Signature, string KeyId);

/// <summary>One check and what it found.</summary>
public sealed record Check(string Name, bool Passed, string Detail);

public sealed class VerificationReport
{
    public List<Check> Checks { get; } = [];
    public bool Verified => Checks.Count > 0 && Checks.All(c => c.Passed);
    public Check? FirstFailure => Checks.FirstOrDefault(c => !c.Passed);
    public SeenCheckpoint? Latest { get; set; }

    public bool Add(string name, bool passed, string detail)
    {
        Checks.Add(new Check(name, passed, detail));
        return passed;
    }
}

/// <summary>Checks a campaign's public ledger from outside, through its public routes only: the signed checkpoint,
/// every entry (re-encoded and re-hashed here), the root recomputed from them, consistency with every checkpoint
/// seen before (kept by the caller between runs), and inclusion proofs of a few entries (and of one pledge if asked).</summary>
public sealed class LedgerVerifier(HttpClient http)
{
    public const string SignedFormat = "givingday-checkpoint/v1";

    public async Task<VerificationReport> VerifyAsync(string campaignId, IReadOnlyList<SeenCheckpoint> seen, string? pledgeId, CancellationToken ct)
    {
        var report = new VerificationReport();
        var id = Uri.EscapeDataString(campaignId);

        // 1. The public key, and that its id is what it says.
        var key = await GetAsync($"api/ledger/public-key", ct);
        if (!report.Add("public key", key is not null, key is null ? "GET /api/ledger/public-key failed" : "fetched")) return report;
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(key!.Value.GetProperty("publicKeyPem").GetString());
        var keyId = Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()))[..16];
        if (!report.Add("public key id", keyId == key.Value.GetProperty("keyId").GetString(), $"SHA-256 of the SPKI starts {keyId}")) return report;

        // 2. The latest checkpoint and its signature.
        var latestJson = await GetAsync($"api/campaigns/{id}/ledger/checkpoint", ct);
        if (!report.Add("checkpoint", latestJson is not null, latestJson is null ? "no checkpoint published" : "fetched")) return report;
        var latest = Parse(latestJson!.Value);
        report.Latest = latest;
        if (!report.Add("checkpoint campaign", latest.CampaignId == campaignId, $"checkpoint names {latest.CampaignId}")) return report;
        if (!report.Add("signature", SignatureValid(ecdsa, keyId, latest), $"checkpoint {latest.TreeSize} signed by key {latest.KeyId}")) return report;

        // 3. Every entry, re-encoded canonically and re-hashed here.
        var leaves = new List<byte[]>();
        var entries = new List<JsonElement>();
        long? next = 0;
        while (next is { } start && start < latest.TreeSize)
        {
            var page = await GetAsync($"api/campaigns/{id}/ledger/entries?start={start}&end={latest.TreeSize}", ct);
            if (page is null)
            {
                report.Add($"entries from {start}", false, "the entries page could not be fetched");
                return report;
            }
            foreach (var e in page!.Value.GetProperty("entries").EnumerateArray())
            {
                var index = e.GetProperty("index").GetInt64();
                if (index != leaves.Count)
                {
                    report.Add($"entry {index} index", false, $"expected index {leaves.Count}");
                    return report;
                }
                byte[] bytes;
                try { bytes = Canonical.EntryBytes(e.GetProperty("entry")); }
                catch (Exception ex) when (ex is FormatException or KeyNotFoundException or InvalidOperationException)
                {
                    report.Add($"entry {index} form", false, ex.Message);
                    return report;
                }
                var leaf = Rfc6962.Leaf(bytes);
                if (Convert.ToBase64String(leaf) != e.GetProperty("leafHash").GetString())
                {
                    report.Add($"entry {index} leaf hash", false, "the published leaf hash is not the hash of the published entry");
                    return report;
                }
                leaves.Add(leaf);
                entries.Add(e.GetProperty("entry").Clone());
            }
            next = page.Value.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : null;
            if (page.Value.GetProperty("entries").GetArrayLength() == 0) break;
        }
        if (!report.Add("entries", leaves.Count == latest.TreeSize, $"{leaves.Count} entries for tree size {latest.TreeSize}")) return report;
        var pledgeIds = entries.Select(e => e.GetProperty("pledgeId").GetString()).ToList();
        if (!report.Add("entries distinct", pledgeIds.Distinct().Count() == pledgeIds.Count, "each pledge appears once")) return report;

        // 4. The root recomputed from the entries equals the signed one.
        var root = Rfc6962.Mth(leaves, 0, leaves.Count);
        if (!report.Add("root", Convert.ToBase64String(root) == latest.RootHash,
                $"recomputed {Convert.ToBase64String(root)}, signed {latest.RootHash}")) return report;

        // 5. Every checkpoint seen before: never larger than the latest, one root per size, its root the root of the
        //    same first entries, and the server's consistency proof from each to the next holds.
        var mine = seen.Where(s => s.CampaignId == campaignId).ToList();
        foreach (var s in mine.Where(s => s.TreeSize > latest.TreeSize))
        {
            report.Add($"checkpoint {s.TreeSize}", false, $"seen before, but the latest checkpoint is smaller ({latest.TreeSize}): the ledger shrank");
            return report;
        }
        var chain = mine.Append(latest).DistinctBy(s => (s.TreeSize, s.RootHash)).OrderBy(s => s.TreeSize).ToList();
        if (chain.GroupBy(s => s.TreeSize).FirstOrDefault(g => g.Count() > 1) is { } fork)
        {
            report.Add($"fork {fork.Key}", false, $"two different roots seen for tree size {fork.Key}");
            return report;
        }
        foreach (var s in chain.Where(s => s != latest))
        {
            // A checkpoint signed by an earlier key cannot be checked with today's; its root is still checked below.
            if (!report.Add($"signature {s.TreeSize}", s.KeyId != keyId || SignatureValid(ecdsa, keyId, s), $"seen checkpoint {s.TreeSize}, key {s.KeyId}")) return report;
            var atRoot = Convert.ToBase64String(Rfc6962.Mth(leaves, 0, s.TreeSize));
            if (!report.Add($"history {s.TreeSize}", atRoot == s.RootHash, $"the first {s.TreeSize} entries hash to {atRoot}, the checkpoint seen said {s.RootHash}")) return report;
        }
        for (var i = 0; i + 1 < chain.Count; i++)
        {
            var (a, b) = (chain[i], chain[i + 1]);
            var proof = await GetAsync($"api/campaigns/{id}/ledger/consistency?first={a.TreeSize}&second={b.TreeSize}", ct);
            var path = proof?.GetProperty("consistencyPath").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList() ?? [];
            if (!report.Add($"consistency {a.TreeSize}→{b.TreeSize}", proof is not null && Rfc6962.Consistent(a.TreeSize, Convert.FromBase64String(a.RootHash),
                    b.TreeSize, Convert.FromBase64String(b.RootHash), path), "the earlier tree is a prefix of the later")) return report;
        }

        // 6. Inclusion proofs from the server, for the first, a middle and the last entry, and the pledge asked about.
        var probes = new[] { 0L, latest.TreeSize / 2, latest.TreeSize - 1 }.Where(i => i >= 0).Distinct().Select(i => pledgeIds[(int)i]!).ToList();
        if (pledgeId is not null) probes.Add(pledgeId);
        foreach (var p in probes.Distinct())
        {
            var proof = await GetAsync($"api/campaigns/{id}/ledger/proof?pledgeId={Uri.EscapeDataString(p)}&treeSize={latest.TreeSize}", ct);
            if (proof is null)
            {
                report.Add($"inclusion {p}", false, "no proof: the pledge is not in this checkpoint (not sequenced yet, or unknown)");
                return report;
            }
            var index = proof.Value.GetProperty("leafIndex").GetInt64();
            var path = proof.Value.GetProperty("auditPath").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();
            var rebuilt = index < leaves.Count ? Rfc6962.RootFromPath(leaves[(int)index], index, latest.TreeSize, path) : null;
            if (!report.Add($"inclusion {p}", rebuilt is not null && Convert.ToBase64String(rebuilt) == latest.RootHash && pledgeIds[(int)index] == p,
                    $"entry {index} is in the tree of {latest.TreeSize}")) return report;
        }
        return report;
    }

    public static bool SignatureValid(ECDsa key, string keyId, SeenCheckpoint c)
    {
        if (c.KeyId != keyId) return false;
        var text = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{SignedFormat}\n{c.CampaignId}\n{c.TreeSize}\n{c.RootHash}\n{c.Timestamp}\n"));
        try { return key.VerifyData(text, Convert.FromBase64String(c.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation); }
        catch (FormatException) { return false; }
    }

    private static SeenCheckpoint Parse(JsonElement c) => new(
        c.GetProperty("campaignId").GetString()!, c.GetProperty("treeSize").GetInt64(), c.GetProperty("rootHash").GetString()!,
        c.GetProperty("timestamp").GetString()!, c.GetProperty("signature").GetString()!, c.GetProperty("keyId").GetString()!);

    private async Task<JsonElement?> GetAsync(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return doc.RootElement.Clone();
    }
}
