using GivingDay.Amounts;
namespace GivingDay.Ledger;

/// <summary>The public ledger routes (under <c>/api</c>, anonymous) and the shapes they answer; docs/ledger.md has the
/// contract. Each route is one call on <see cref="LedgerReader"/> (or <see cref="CheckpointSigner.PublicKeyAsync"/>):
/// <see cref="LedgerOutcome.Found"/> → 200 with the value, <see cref="LedgerOutcome.NotFound"/> → 404,
/// <see cref="LedgerOutcome.OutOfRange"/> → 400; both with the result's <c>Detail</c> as problem+json.</summary>
public static class LedgerRoutes
{
    /// <summary>GET, <c>?treeSize=N</c> optional → <see cref="Checkpoint"/>.</summary>
    public const string Checkpoint = "campaigns/{campaignId}/ledger/checkpoint";
    /// <summary>GET <c>?start=&amp;end=</c> (end exclusive, optional) → <see cref="LedgerEntriesPage"/>.</summary>
    public const string Entries = "campaigns/{campaignId}/ledger/entries";
    /// <summary>GET <c>?pledgeId=&amp;treeSize=</c> (treeSize optional: the latest checkpoint's) → <see cref="InclusionProofView"/>.</summary>
    public const string Proof = "campaigns/{campaignId}/ledger/proof";
    /// <summary>GET <c>?first=&amp;second=</c> → <see cref="ConsistencyProofView"/>.</summary>
    public const string Consistency = "campaigns/{campaignId}/ledger/consistency";
    /// <summary>GET → <see cref="LedgerPublicKey"/>.</summary>
    public const string PublicKey = "ledger/public-key";

    /// <summary>Where the pledge status points a donor for the proof of their gift (against the latest checkpoint).</summary>
    public static string ProofUrl(string campaignId, string pledgeId) =>
        $"/api/campaigns/{Uri.EscapeDataString(campaignId)}/ledger/proof?pledgeId={Uri.EscapeDataString(pledgeId)}";

    /// <summary>Entries per page when the caller asks for more (or names no end).</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Answers about one tree size never change: a shared cache may keep them long.</summary>
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";
    /// <summary>The latest checkpoint moves with each tick.</summary>
    public const string LatestCacheControl = "public, max-age=5";
}

public enum LedgerOutcome { Found, NotFound, OutOfRange }

/// <summary>What a ledger read found: a value, or why not (not sequenced yet / no checkpoint yet → 404; a size or range
/// outside the published ledger → 400). Expected states are outcomes, not exceptions.</summary>
public sealed record LedgerResult<T>(LedgerOutcome Outcome, T? Value, string? Detail)
{
    public static LedgerResult<T> Found(T value) => new(LedgerOutcome.Found, value, null);
    public static LedgerResult<T> NotFound(string detail) => new(LedgerOutcome.NotFound, default, detail);
    public static LedgerResult<T> OutOfRange(string detail) => new(LedgerOutcome.OutOfRange, default, detail);
}

/// <summary>An entry as the entries route shows it: its fields exactly as in its canonical form (acceptedAt as text).</summary>
public sealed record LedgerEntryFields(string PledgeId, string ProjectId, Money Amount, Money Matched, string? FundId,
    string Channel, string? MaskedName, string AcceptedAt)
{
    public static LedgerEntryFields Of(LedgerEntry e) => new(e.PledgeId, e.ProjectId, e.Amount, e.Matched, e.FundId, e.Channel, e.MaskedName, e.AcceptedAtText);
}

/// <summary>One entry with its index and leaf hash (base64, computed from the entry's canonical bytes).</summary>
public sealed record LedgerEntryView(long Index, string LeafHash, LedgerEntryFields Entry);

/// <summary>A page of entries [start, end); <c>Next</c> is the start of the next page, null after the last published entry.</summary>
public sealed record LedgerEntriesPage(IReadOnlyList<LedgerEntryView> Entries, long? Next);

/// <summary>RFC 6962 audit path, leaf to root, hashes in base64.</summary>
public sealed record InclusionProofView(long LeafIndex, long TreeSize, IReadOnlyList<string> AuditPath);

/// <summary>RFC 6962 consistency proof between two tree sizes, hashes in base64.</summary>
public sealed record ConsistencyProofView(long First, long Second, IReadOnlyList<string> ConsistencyPath);

/// <summary>What the pledge status route adds once the pledge is in a published checkpoint.</summary>
public sealed record PledgeLedgerView(long LeafIndex, string ProofUrl)
{
    public static PledgeLedgerView Of(string campaignId, string pledgeId, long leafIndex) => new(leafIndex, LedgerRoutes.ProofUrl(campaignId, pledgeId));
}
