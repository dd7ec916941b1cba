using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GivingDay.Pledges;

/// <summary>Keyed hashes: donors are known by an HMAC of their contact (never the contact itself),
/// and pledge ids for an Idempotency-Key are an HMAC of (campaign, key), so every instance derives the same id.</summary>
public sealed class DonorIdentity
{
    public const string KeySetting = "Hashing:DonorKey";
    private readonly byte[] _key;

    /// <summary>Without a key the development key serves, with a warning, in Development only; anywhere else the
    /// app's settings check stops the start, and this refuses too (so nothing can hash donors with a key anyone can read).</summary>
    public DonorIdentity(string? key, IHostEnvironment environment, ILogger<DonorIdentity> log)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            if (!environment.IsDevelopment())
                throw new InvalidOperationException($"The app setting Hashing__DonorKey ({KeySetting}) is required outside Development: donor contacts are hashed with it.");
            log.LogWarning("{Setting} is not set: using the development key. Set it in any real deployment.", KeySetting);
            key = DevelopmentKey;
        }
        _key = Encoding.UTF8.GetBytes(key);
    }

    private const string DevelopmentKey = "givingday-development-key";

    public DonorIdentity(string key) => _key = Encoding.UTF8.GetBytes(key);

    public string? ContactHash(string? normalisedContact) =>
        normalisedContact is null ? null : Hmac("contact", normalisedContact)[..24];

    public string PledgeIdFor(string campaignId, string idempotencyKey) => Hmac("pledge", campaignId + "\u001f" + idempotencyKey)[..26];

    public static string NewPledgeId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13));

    private string Hmac(string purpose, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose + ":" + value)));

    /// <summary>The public form of a name: first character, the rest as '*' (at most 3). Anonymous → null.</summary>
    public static string? Mask(string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        var e = StringInfo.GetTextElementEnumerator(name);
        e.MoveNext();
        var first = (string)e.Current;
        var rest = new StringInfo(name).LengthInTextElements - 1;
        return first + new string('*', Math.Clamp(rest, 1, 3));
    }
}
