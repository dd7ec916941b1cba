using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GivingDay.Campaigns;
using GivingDay.Validation;
using GivingDay.Amounts;

namespace GivingDay.Pledges;

/// <summary>A pledge body that passed every rule in api.md, normalised (NFC, trimmed, contact lower-cased).</summary>
public sealed record PledgeRequest(string ProjectId, Money Amount, string? Name, bool Anonymous, string? Contact, string? Message)
{
    public const int MaxBodyBytes = 4096;
    public const int MaxNameLength = 32;
    public const int MaxMessageLength = 200;

    /// <summary>Validates the body against the campaign (its projects, its amount limits), naming every bad field at
    /// once. <paramref name="unknownProject"/> tells a caller that answers an unknown project alone with 404.</summary>
    public static PledgeRequest? Parse(JsonElement body, Campaign campaign, ValidationErrors errors, out bool unknownProject)
    {
        unknownProject = false;
        if (body.ValueKind != JsonValueKind.Object) { errors.Add("body", "must be a JSON object"); return null; }

        string? projectId = null;
        if (!body.TryGetProperty("projectId", out var p) || p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
            errors.Add("projectId", "is required: the id of one of the campaign's projects");
        else if (campaign.FindProject(p.GetString()!) is null)
        {
            unknownProject = true;
            errors.Add("projectId", $"'{p.GetString()}' is not a project of this campaign");
        }
        else projectId = p.GetString()!;

        Money? amount = null;
        if (!body.TryGetProperty("amount", out var a) || a.ValueKind == JsonValueKind.Null)
            errors.Add("amount", "is required: a whole number of fen");
        else if (a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out var fen))
            errors.Add("amount", "must be a whole number of fen (5000 is ¥50.00)");
        else if (fen < campaign.MinPledge.Fen || fen > campaign.MaxPledge.Fen)
            errors.Add("amount", $"must be between {campaign.MinPledge.Fen} and {campaign.MaxPledge.Fen} fen");
        else amount = new Money(fen);

        string? name = null, contact = null;
        var anonymous = false;
        if (body.TryGetProperty("donor", out var donor) && donor.ValueKind != JsonValueKind.Null)
        {
            if (donor.ValueKind != JsonValueKind.Object) errors.Add("donor", "must be an object { name?, anonymous?, contact? }");
            else
            {
                if (donor.TryGetProperty("anonymous", out var anon) && anon.ValueKind != JsonValueKind.Null)
                {
                    if (anon.ValueKind is JsonValueKind.True or JsonValueKind.False) anonymous = anon.GetBoolean();
                    else errors.Add("donor.anonymous", "must be true or false");
                }
                name = Text(donor, "name", MaxNameLength, "donor.name", errors);
                contact = ReadContact(donor, errors);
            }
        }
        var message = Text(body, "message", MaxMessageLength, "message", errors);

        if (!errors.IsEmpty) return null;
        return new PledgeRequest(projectId!, amount!.Value, anonymous ? null : name, anonymous, contact, message);
    }

    private static string? Text(JsonElement o, string property, int max, string field, ValidationErrors errors)
    {
        if (!o.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) { errors.Add(field, "must be a string"); return null; }
        var s = v.GetString()!.Normalize(NormalizationForm.FormC).Trim();
        if (s.EnumerateRunes().Any(r => Rune.IsControl(r))) { errors.Add(field, "must not contain control characters"); return null; }
        var length = s.EnumerateRunes().Count();
        if (length > max) { errors.Add(field, $"must be at most {max} characters"); return null; }
        return s.Length == 0 ? null : s;
    }

    private static string? ReadContact(JsonElement donor, ValidationErrors errors)
    {
        if (!donor.TryGetProperty("contact", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) { errors.Add("donor.contact", "must be a mainland mobile number or an e-mail address"); return null; }
        var s = v.GetString()!.Trim();
        if (s.Length == 0) return null;
        var mobile = Regex.Replace(s, @"^(\+?86)?[\s-]*", "");
        mobile = Regex.Replace(mobile, @"[\s-]", "");
        if (Regex.IsMatch(mobile, "^1[3-9][0-9]{9}$")) return mobile;
        if (s.Length <= 254 && Regex.IsMatch(s, @"^[^@\s]+@[^@\s]+\.[^@\s]+$")) return s.ToLowerInvariant();
        errors.Add("donor.contact", "must be a mainland mobile number (11 digits starting 13–19) or an e-mail address");
        return null;
    }

    /// <summary>What makes two requests "the same body" for Idempotency-Key: the normalised fields.</summary>
    public string Fingerprint(string? contactHash)
    {
        var canonical = string.Join('\u001f', ProjectId, Amount.Fen, Name ?? "", Anonymous, contactHash ?? "", Message ?? "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }
}
