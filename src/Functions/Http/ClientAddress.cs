using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace GivingDay.Functions.Http;

/// <summary>The address a request comes from, for rate limiting: the connection's peer after ASP.NET Core's forwarded
/// headers middleware, which believes X-Forwarded-For only from a known proxy (ForwardedHeaders:KnownProxies and
/// :KnownNetworks; loopback when neither is set), else anyone could pick their own limit. The worker's ASP.NET Core
/// integration runs that middleware on every request; the standalone host adds it first in its pipeline.</summary>
public static class ClientAddress
{
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var peer => peer.ToString(),
    };

    /// <summary>The proxies whose X-Forwarded-For (and -Proto) are believed. Under the Functions host loopback is always
    /// among them: the host forwards every request to the worker from loopback.</summary>
    public static IServiceCollection AddForwardedHeaders(this IServiceCollection services, FunctionsHost host)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((o, proxies) =>
        {
            // The worker's integration asks for all X-Forwarded-* already; the standalone host needs the client and scheme.
            o.ForwardedHeaders |= ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Every hop from a known proxy is unwrapped (Azure's front end, then the Functions host), not only the last.
            o.ForwardLimit = null;
            var settings = proxies.Value;
            if (settings.KnownProxies is null && settings.KnownNetworks is null) return; // ASP.NET Core's default: loopback only
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var address in ProxyOptions.List(settings.KnownProxies)) o.KnownProxies.Add(IPAddress.Parse(address));
            foreach (var network in ProxyOptions.List(settings.KnownNetworks)) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            if (host == FunctionsHost.Azure)
            {
                o.KnownProxies.Add(IPAddress.Loopback);
                o.KnownProxies.Add(IPAddress.IPv6Loopback);
            }
        });
        return services;
    }
}

/// <summary>Which host runs the function classes: the Functions host in Azure, or the standalone host.</summary>
public sealed record FunctionsHost(string Name)
{
    public static readonly FunctionsHost Azure = new("azure-functions");
    public static readonly FunctionsHost Standalone = new("standalone");
}
