using System.Net;

namespace GivingDay.Functions.Api;

/// <summary>The address a request comes from, for rate limiting. X-Forwarded-For is believed only when the
/// direct peer is a configured trusted proxy (RateLimit:TrustedProxies, and loopback under the Functions host),
/// else anyone could pick their own limit.</summary>
public sealed class ClientAddress(IConfiguration configuration)
{
    private readonly HashSet<IPAddress> _trusted = (configuration["RateLimit:TrustedProxies"] ?? "")
        .Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries)
        .Select(IPAddress.Parse)
        // Under the Functions host every request comes from the host on loopback: the client is in X-Forwarded-For.
        .Concat(Hosting.FunctionHosting.IsHosted(configuration) ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [])
        .ToHashSet();

    public string Of(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null) return "unknown";
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (!_trusted.Contains(peer)) return peer.ToString();
        // The rightmost address that is not one of our proxies is the client as our proxies saw it.
        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = forwarded.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(forwarded[i], out var hop)) break;
            if (!_trusted.Contains(hop)) return hop.ToString();
        }
        return peer.ToString();
    }
}
