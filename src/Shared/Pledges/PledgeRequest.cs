using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GivingDay.Campaigns;
using GivingDay.Validation;
using GivingDay.Amounts;

namespace GivingDay.Pledges;

/// <summary>A pledge body that passed every rule in api.md, normalised (NFC, trimmed, contact lower-cased).</summary>
public sealed partial record PledgeRequest(string ProjectId, Money Amount, string? Name, bool Anonymous, string? Contact, string? Message)
{
    public const int MaxBodyBytes = 4096;
    public const int MaxNameLength = 32;
    public const int MaxMessageLength = 200;

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex WholeNumber();

    /// <summary>Validates the body against the campaign (its projects, its amount limits), naming every bad field at
    /// once. <paramref name="unknownProject"/> tells a caller that answers an unknown project alone with 404.</summary>
    public static PledgeRequest? Parse(JsonElement body, Campaign campaign, ValidationErrors errors, out bool unknownProject)
    {
        unknownProject = false;
        if (body.ValueKind != JsonValueKind.Object) { errors.Add("body", "body.not_object"); return null; }

        string? projectId = null;
        if (!body.TryGetProperty("projectId", out var p) || p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
            errors.Add("projectId", "projectId.required");
        else if (campaign.FindProject(p.GetString()!) is null)
        {
            unknownProject = true;
            errors.Add("projectId", "projectId.unknown", p.GetString());
        }
        else projectId = p.GetString()!;

        Money? amount = null;
        if (!body.TryGetProperty("amount", out var a) || a.ValueKind == JsonValueKind.Null)
            errors.Add("amount", "amount.required");
        else if (a.ValueKind != JsonValueKind.Number || !WholeNumber().IsMatch(a.GetRawText()))
            errors.Add("amount", "amount.not_integer");
        else if (!a.TryGetInt64(out var fen))
            // A whole number too long for any amount (99999999999999999999) is out of range, not "not a whole number".
            errors.Add("amount", a.GetRawText().StartsWith('-') ? "amount.out_of_range" : "amount.too_large", campaign.MinPledge, campaign.MaxPledge);
        else if (fen < campaign.MinPledge.Fen || fen > campaign.MaxPledge.Fen)
            errors.Add("amount", "amount.out_of_range", campaign.MinPledge, campaign.MaxPledge);
        else amount = new Money(fen);

        string? name = null, contact = null;
        var anonymous = false;
        if (body.TryGetProperty("donor", out var donor) && donor.ValueKind != JsonValueKind.Null)
        {
            if (donor.ValueKind != JsonValueKind.Object) errors.Add("donor", "donor.not_object");
            else
            {
                if (donor.TryGetProperty("anonymous", out var anon) && anon.ValueKind != JsonValueKind.Null)
                {
                    if (anon.ValueKind is JsonValueKind.True or JsonValueKind.False) anonymous = anon.GetBoolean();
                    else errors.Add("donor.anonymous", "anonymous.not_boolean");
                }
                name = Text(donor, "name", MaxNameLength, "donor.name", "displayName", errors);
                contact = ReadContact(donor, errors);
            }
        }
        var message = Text(body, "message", MaxMessageLength, "message", "message", errors);

        if (!errors.IsEmpty) return null;
        return new PledgeRequest(projectId!, amount!.Value, anonymous ? null : name, anonymous, contact, message);
    }

    private static string? Text(JsonElement o, string property, int max, string field, string what, ValidationErrors errors)
    {
        if (!o.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) { errors.Add(field, $"{what}.not_string"); return null; }
        var s = v.GetString()!.Normalize(NormalizationForm.FormC).Trim();
        if (s.EnumerateRunes().Any(r => Rune.IsControl(r))) { errors.Add(field, $"{what}.control_chars"); return null; }
        var length = s.EnumerateRunes().Count();
        if (length > max) { errors.Add(field, $"{what}.too_long", max); return null; }
        return s.Length == 0 ? null : s;
    }

    private static string? ReadContact(JsonElement donor, ValidationErrors errors)
    {
        if (!donor.TryGetProperty("contact", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) { errors.Add("donor.contact", "contact.invalid"); return null; }
        var s = v.GetString()!.Trim();
        if (s.Length == 0) return null;
        var mobile = Regex.Replace(s, @"^(\+?86)?[\s-]*", "");
        mobile = Regex.Replace(mobile, @"[\s-]", "");
        if (Regex.IsMatch(mobile, "^1[3-9][0-9]{9}$")) return mobile;
        if (s.Length <= 254 && Regex.IsMatch(s, @"^[^@\s]+@[^@\s]+\.[^@\s]+$")) return s.ToLowerInvariant();
        errors.Add("donor.contact", "contact.invalid");
        return null;
    }

    /// <summary>What makes two requests "the same body" for Idempotency-Key: the normalised fields.</summary>
    public string Fingerprint(string? contactHash)
    {
        var canonical = string.Join('\u001f', ProjectId, Amount.Fen, Name ?? "", Anonymous, contactHash ?? "", Message ?? "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }
}
