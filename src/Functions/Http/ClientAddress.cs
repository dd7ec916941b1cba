using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace GivingDay.Functions.Http;

/// <summary>The address a request comes from, for rate limiting. X-Forwarded-For is believed only when the direct peer
/// is a trusted proxy (RateLimit:TrustedProxies; and loopback under the Functions host, which forwards every request to
/// the worker from loopback), else anyone could pick their own limit.</summary>
public sealed class ClientAddress(IConfiguration configuration, FunctionsHost host)
{
    private readonly HashSet<IPAddress> _trusted = (configuration["RateLimit:TrustedProxies"] ?? "")
        .Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries)
        .Select(IPAddress.Parse)
        .Concat(host == FunctionsHost.Azure ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [])
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
            // Azure's front ends write "address:port"; IPEndPoint reads both that and a bare address.
            if (!IPEndPoint.TryParse(forwarded[i], out var hop)) break;
            var address = hop.Address.IsIPv4MappedToIPv6 ? hop.Address.MapToIPv4() : hop.Address;
            if (!_trusted.Contains(address)) return address.ToString();
        }
        return peer.ToString();
    }
}

/// <summary>Which host runs the function classes: the Functions host in Azure, or the standalone host.</summary>
public sealed record FunctionsHost(string Name)
{
    public static readonly FunctionsHost Azure = new("azure-functions");
    public static readonly FunctionsHost Standalone = new("standalone");
}
