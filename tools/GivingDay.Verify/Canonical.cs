using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GivingDay.Verify;

/// <summary>An entry's canonical bytes as docs/ledger.md defines them, rebuilt from its published fields: the
/// eight keys in their fixed order, no whitespace, strings escaped as JSON.stringify does, UTF-8.</summary>
public static class Canonical
{
    private static readonly (string Key, JsonValueKind Kind)[] Keys =
    [
        ("pledgeId", JsonValueKind.String), ("projectId", JsonValueKind.String), ("amount", JsonValueKind.Number),
        ("matched", JsonValueKind.Number), ("fundId", JsonValueKind.String), ("channel", JsonValueKind.String),
        ("maskedName", JsonValueKind.String), ("acceptedAt", JsonValueKind.String),
    ];

    public static byte[] EntryBytes(JsonElement entry)
    {
        var json = new StringBuilder("{");
        foreach (var (key, kind) in Keys)
        {
            if (json.Length > 1) json.Append(',');
            json.Append('"').Append(key).Append("\":");
            var value = entry.GetProperty(key);
            if (value.ValueKind == JsonValueKind.Null && key is "fundId" or "maskedName") json.Append("null");
            else if (value.ValueKind != kind) throw new FormatException($"{key} must be a {kind}");
            else if (kind == JsonValueKind.Number) json.Append(value.GetInt64().ToString(CultureInfo.InvariantCulture));
            else Quote(json, value.GetString()!);
        }
        return Encoding.UTF8.GetBytes(json.Append('}').ToString());
    }

    private static void Quote(StringBuilder json, string s)
    {
        json.Append('"');
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            string? escape = c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\b' => "\\b", '\f' => "\\f", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                < ' ' => $"\\u{(int)c:x4}",
                _ => null,
            };
            if (escape is not null) { json.Append(escape); i++; continue; }
            if (char.IsSurrogatePair(s, i)) { json.Append(s, i, 2); i += 2; continue; }
            json.Append(char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
            i++;
        }
        json.Append('"');
    }
}
