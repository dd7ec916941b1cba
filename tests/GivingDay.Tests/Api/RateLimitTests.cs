using System.Net;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

public class RateLimitTests
{
    [Fact]
    public async Task Client_over_its_rate_gets_429_with_Retry_After_and_the_refused_pledges_write_nothing()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["RateLimit:PerClientPerSecond"] = "3" }, listeners: false);
        var id = TestCampaigns.NewId();
        (await app.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        // All at once: the bucket holds 3 and refills 3 a second, so most of 30 are refused.
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => app.PledgeAsync(id, new { projectId = "zaochan", amount = 1000 })));

        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(int.Parse(r.Headers.GetValues("Retry-After").Single()) >= 1));
        var accepted = answers.Count(a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(30, accepted + refused.Count);
        // Reading is never limited.
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync($"/api/campaigns/{id}/leaderboard")).StatusCode);
        Assert.InRange(accepted, 3, 27);
    }

    [Fact]
    public async Task Forwarded_for_is_believed_only_from_a_trusted_proxy()
    {
        // The test's client is on loopback: trusted by default, untrusted once the known proxies are others.
        await using var untrusted = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["RateLimit:PerClientPerSecond"] = "2", ["ForwardedHeaders:KnownProxies"] = "192.0.2.1" }, listeners: false);
        await using var trusted = await AppInstance.StartAsync(untrusted.Prefix, new() { ["RateLimit:PerClientPerSecond"] = "2" }, listeners: false);
        var id = TestCampaigns.NewId();
        (await untrusted.PutCampaignAsync(id, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        async Task<int> AcceptedFromManyClients(AppInstance app)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{id}/pledges")
                { Content = System.Net.Http.Json.JsonContent.Create(new { projectId = "zaochan", amount = 1000 }) };
                request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
                return (await app.Http.SendAsync(request)).StatusCode;
            }));
            return answers.Count(a => a == HttpStatusCode.Accepted);
        }

        // Twenty clients behind the trusted proxy each have their own limit; through an untrusted peer they share one.
        Assert.Equal(20, await AcceptedFromManyClients(trusted));
        Assert.InRange(await AcceptedFromManyClients(untrusted), 2, 18);
    }
}
