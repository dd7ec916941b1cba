using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GivingDay.Functions.Http;

/// <summary>Every organiser function starts by asking this: <c>Authorization: Bearer {Organiser:ApiKey}</c>, compared in
/// constant time. Without a configured key (Development only) no request passes. It is called inside the function, so the Functions host
/// and the standalone host check it alike.</summary>
public sealed class OrganiserKey(IOptions<OrganiserOptions> options)
{
    private readonly byte[]? _key = options.Value.ApiKey is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

    /// <summary>A 401 problem when the request does not carry the key; null when it does.</summary>
    public Problem? Reject(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
        if (_key is not null && CryptographicOperations.FixedTimeEquals(given, _key)) return null;
        request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Of(StatusCodes.Status401Unauthorized, "organiser.key_required");
    }
}
