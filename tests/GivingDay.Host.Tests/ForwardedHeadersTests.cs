using System.Net;
using GivingDay.Functions;
using GivingDay.Functions.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GivingDay.Host.Tests;

/// <summary>In Azure the worker's ASP.NET Core integration runs ForwardedHeadersMiddleware with the
/// ForwardedHeadersOptions from the app's services before any function: the options the app registers decide whose
/// X-Forwarded-For the rate limit believes.</summary>
public class ForwardedHeadersTests
{
    private static async Task<string> ClientSeenAsync(FunctionsHost host, Dictionary<string, string?> settings, string peer, string? forwardedFor)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions();
        services.AddGivingDaySettings();
        services.AddForwardedHeaders(host);
        // The worker's own registration (FunctionsHostBuilderExtensions) asks for all X-Forwarded-* headers.
        if (host == FunctionsHost.Azure) services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.All);
        await using var provider = services.BuildServiceProvider();

        string? seen = null;
        var middleware = new ForwardedHeadersMiddleware(c => { seen = ClientAddress.Of(c); return Task.CompletedTask; },
            NullLoggerFactory.Instance, provider.GetRequiredService<IOptions<ForwardedHeadersOptions>>());
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        if (forwardedFor is not null) context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        await middleware.Invoke(context);
        return seen!;
    }

    [Fact]
    public async Task Under_the_functions_host_the_client_behind_loopback_and_a_known_network_is_seen()
    {
        // Azure's front end (a known network) writes "address:port"; the Functions host forwards from loopback.
        Assert.Equal("203.0.113.5", await ClientSeenAsync(FunctionsHost.Azure, new() { ["ForwardedHeaders:KnownNetworks"] = "10.0.0.0/8" },
            "127.0.0.1", "203.0.113.5:50123, 10.1.2.3"));
        // Without settings, loopback only: the hop before the host is the client as far as the app can tell.
        Assert.Equal("10.1.2.3", await ClientSeenAsync(FunctionsHost.Azure, new(), "127.0.0.1", "203.0.113.5:50123, 10.1.2.3"));
    }

    [Fact]
    public async Task A_spoofed_header_from_an_unknown_peer_is_ignored()
    {
        Assert.Equal("198.51.100.7", await ClientSeenAsync(FunctionsHost.Azure, new(), "198.51.100.7", "203.0.113.5"));
        Assert.Equal("198.51.100.7", await ClientSeenAsync(FunctionsHost.Standalone, new() { ["ForwardedHeaders:KnownProxies"] = "192.0.2.1" }, "198.51.100.7", "203.0.113.5"));
        // Configured proxies replace loopback in the standalone host; the Functions host always keeps it.
        Assert.Equal("127.0.0.1", await ClientSeenAsync(FunctionsHost.Standalone, new() { ["ForwardedHeaders:KnownProxies"] = "192.0.2.1" }, "127.0.0.1", "203.0.113.5"));
        Assert.Equal("203.0.113.5", await ClientSeenAsync(FunctionsHost.Azure, new() { ["ForwardedHeaders:KnownProxies"] = "192.0.2.1" }, "127.0.0.1", "203.0.113.5"));
    }
}
