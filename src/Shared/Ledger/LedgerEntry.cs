using System.Globalization;
using System.Text;
using System.Text.Json;
using GivingDay.Pledges;
using GivingDay.Amounts;

namespace GivingDay.Ledger;

/// <summary>One entry of a campaign's public ledger: a counted pledge or offline gift as anyone may see it.
/// No contact and no donor hash, ever; the name is the masked one. Its hashed bytes are <see cref="CanonicalBytes"/>.</summary>
public sealed record LedgerEntry(
    string PledgeId,
    string ProjectId,
    Money Amount,
    Money Matched,
    string? FundId,
    string Channel,
    string? MaskedName,
    DateTimeOffset AcceptedAt)
{
    /// <summary>The pledge as the ledger publishes it; acceptedAt to the millisecond, in UTC.</summary>
    public static LedgerEntry From(LedgerPledge p) => new(
        p.Pledge.Id, p.Pledge.ProjectId, p.Pledge.Amount, p.Matched, p.FundId, p.Pledge.Channel, p.Pledge.MaskedName,
        TruncateToMilliseconds(p.Pledge.AcceptedAt));

    public static DateTimeOffset TruncateToMilliseconds(DateTimeOffset at) =>
        new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    /// <summary>acceptedAt as written in the entry: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>, UTC.</summary>
    public string AcceptedAtText => AcceptedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The canonical form (docs/ledger.md): UTF-8 JSON, keys in this fixed order, no whitespace, integers
    /// in plain decimal, strings escaped exactly as JavaScript's JSON.stringify escapes them, absent values as null.
    /// So a browser computes the same bytes with JSON.stringify of an object built in this key order.</summary>
    public string CanonicalJson()
    {
        var s = new StringBuilder(256);
        s.Append("{\"pledgeId\":"); Str(s, PledgeId);
        s.Append(",\"projectId\":"); Str(s, ProjectId);
        s.Append(",\"amount\":").Append(Amount.Fen.ToString(CultureInfo.InvariantCulture));
        s.Append(",\"matched\":").Append(Matched.Fen.ToString(CultureInfo.InvariantCulture));
        s.Append(",\"fundId\":"); Str(s, FundId);
        s.Append(",\"channel\":"); Str(s, Channel);
        s.Append(",\"maskedName\":"); Str(s, MaskedName);
        s.Append(",\"acceptedAt\":"); Str(s, AcceptedAtText);
        return s.Append('}').ToString();
    }

    public byte[] CanonicalBytes() => Encoding.UTF8.GetBytes(CanonicalJson());

    public byte[] LeafHash() => MerkleTree.LeafHash(CanonicalBytes());

    /// <summary>Reads an entry back from its canonical JSON (as stored). Strictly, refuses anything that does not
    /// round-trip to the same text; otherwise (to show what storage holds, even if altered) only needs the fields.</summary>
    public static LedgerEntry Parse(string canonicalJson, bool strict = true)
    {
        using var doc = JsonDocument.Parse(canonicalJson);
        var e = doc.RootElement;
        string? Opt(string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();
        var entry = new LedgerEntry(
            e.GetProperty("pledgeId").GetString()!, e.GetProperty("projectId").GetString()!,
            new Money(e.GetProperty("amount").GetInt64()), new Money(e.GetProperty("matched").GetInt64()),
            Opt("fundId"), e.GetProperty("channel").GetString()!, Opt("maskedName"),
            DateTimeOffset.Parse(e.GetProperty("acceptedAt").GetString()!, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        if (strict && entry.CanonicalJson() != canonicalJson) throw new FormatException("not a canonical ledger entry");
        return entry;
    }

    // JSON.stringify's escaping: " and \ and the control characters below U+0020 (\b \f \n \r \t short forms,
    // the rest \u00xx lowercase), lone surrogates as \udxxx; everything else as itself.
    private static void Str(StringBuilder s, string? value)
    {
        if (value is null) { s.Append("null"); return; }
        s.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': s.Append("\\\""); break;
                case '\\': s.Append("\\\\"); break;
                case '\b': s.Append("\\b"); break;
                case '\f': s.Append("\\f"); break;
                case '\n': s.Append("\\n"); break;
                case '\r': s.Append("\\r"); break;
                case '\t': s.Append("\\t"); break;
                default:
                    if (c < 0x20) s.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { s.Append(c).Append(value[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) s.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else s.Append(c);
                    break;
            }
        }
        s.Append('"');
    }
}
