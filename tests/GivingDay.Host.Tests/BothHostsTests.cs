using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GivingDay.Functions.Http;
using GivingDay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GivingDay.Host.Tests;

/// <summary>Rate limiting, the organiser key, problem+json and ETag/304 live in the function classes, so both hosts
/// behave alike: each rule is checked by calling the function class as the Functions worker does (an HttpRequest in,
/// an IResult out) and over HTTP through the standalone host. One app for the class, a campaign per test; the rate
/// limit's test has an app of its own, as its subject is the app's per-client state, which a campaign cannot keep apart.</summary>
public class BothHostsTests(HttpOnlyApp shared) : IClassFixture<HttpOnlyApp>, IAsyncLifetime
{
    private AppInstance _app = shared.App;
    private string _campaign = null!;

    public async Task InitializeAsync() => _campaign = await shared.NewCampaignAsync(hint: "both");

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record Answer(int Status, string? ContentType, IHeaderDictionary Headers, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    /// <summary>Calls a function class directly, as the worker would, and executes its IResult into a response.</summary>
    private async Task<Answer> CallAsync<TFunctions>(Func<TFunctions, HttpRequest, Task<IResult>> call, string method, string path,
        string? body = null, Action<HttpRequest>? prepare = null, IPAddress? from = null) where TFunctions : notnull
    {
        await using var scope = _app.App.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = from ?? IPAddress.Parse("192.0.2.10");
        context.Request.Method = method;
        context.Request.Path = path;
        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }
        prepare?.Invoke(context.Request);
        var response = new MemoryStream();
        context.Response.Body = response;
        var result = await call(scope.ServiceProvider.GetRequiredService<TFunctions>(), context.Request);
        await result.ExecuteAsync(context);
        return new Answer(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, Encoding.UTF8.GetString(response.ToArray()));
    }

    private static string PledgeBody(int i) => JsonSerializer.Serialize(new { projectId = "zaochan", amount = 1000, donor = new { name = "王五", contact = $"1380000{i:0000}" } });

    [Fact]
    public async Task The_organiser_key_is_checked_by_the_function_in_both_hosts()
    {
        var direct = await CallAsync<OrganiserFunctions>((f, r) => f.ListSnapshots(r, _campaign, default), "GET", $"/api/organiser/campaigns/{_campaign}/snapshots");
        Assert.Equal(401, direct.Status);
        Assert.Equal("Bearer", direct.Headers.WWWAuthenticate.ToString());
        Assert.Equal("application/problem+json", direct.ContentType);
        var keyed = await CallAsync<OrganiserFunctions>((f, r) => f.ListSnapshots(r, _campaign, default), "GET", $"/api/organiser/campaigns/{_campaign}/snapshots",
            prepare: r => r.Headers.Authorization = $"Bearer {AppInstance.OrganiserKey}");
        Assert.Equal(200, keyed.Status);

        var overHttp = await _app.Http.GetAsync($"/api/organiser/campaigns/{_campaign}/snapshots");
        Assert.Equal(HttpStatusCode.Unauthorized, overHttp.StatusCode);
        Assert.Equal("Bearer", overHttp.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", overHttp.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await _app.Http.SendAsync(_app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}/snapshots"))).StatusCode);
    }

    [Fact]
    public async Task The_pledge_rate_limit_is_applied_by_the_function_in_both_hosts()
    {
        // An app with the limit on, on the shared app's storage (so it knows this test's campaign); every call below goes to it.
        await using var limited = await AppInstance.StartAsync(shared.App.Prefix, new() { ["RateLimit:PerClientPerSecond"] = "2" }, listeners: false);
        _app = limited;
        // Direct: six pledges at once from one address; the limit is two a second, so some are refused.
        var client = IPAddress.Parse("198.51.100.7");
        var direct = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            CallAsync<PledgeFunctions>((f, r) => f.PostPledge(r, _campaign, default), "POST", $"/api/campaigns/{_campaign}/pledges", PledgeBody(i), from: client)));
        Assert.All(direct, a => Assert.Contains(a.Status, new[] { 202, 429 }));
        var refused = direct.Where(a => a.Status == 429).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, a => Assert.True(int.Parse(a.Headers.RetryAfter.ToString()) >= 1));
        Assert.All(refused, a => Assert.Equal(429, a.Json.GetProperty("status").GetInt32()));
        // Another address is not limited by the first one's pledges.
        Assert.Equal(202, (await CallAsync<PledgeFunctions>((f, r) => f.PostPledge(r, _campaign, default), "POST", $"/api/campaigns/{_campaign}/pledges",
            PledgeBody(9), from: IPAddress.Parse("198.51.100.8"))).Status);

        // Over HTTP, from loopback, likewise.
        var overHttp = await Task.WhenAll(Enumerable.Range(10, 6).Select(i =>
            _app.Http.PostAsync($"/api/campaigns/{_campaign}/pledges", new StringContent(PledgeBody(i), Encoding.UTF8, "application/json"))));
        Assert.All(overHttp, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests }));
        Assert.Contains(overHttp, r => r.StatusCode == HttpStatusCode.TooManyRequests && r.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task Problems_are_problem_json_naming_the_field_in_both_hosts()
    {
        var direct = await CallAsync<PledgeFunctions>((f, r) => f.PostPledge(r, _campaign, default), "POST", $"/api/campaigns/{_campaign}/pledges",
            """{"projectId":"zaochan","amount":-5}""", from: IPAddress.Parse("203.0.113.1"));
        Assert.Equal(400, direct.Status);
        Assert.Equal("application/problem+json", direct.ContentType);
        Assert.True(direct.Json.GetProperty("errors").TryGetProperty("amount", out _));

        var overHttp = await _app.Http.PostAsync($"/api/campaigns/{_campaign}/pledges", new StringContent("""{"projectId":"zaochan","amount":-5}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, overHttp.StatusCode);
        Assert.Equal("application/problem+json", overHttp.Content.Headers.ContentType?.MediaType);
        Assert.Equal(direct.Json.GetProperty("errors").GetRawText(), JsonDocument.Parse(await overHttp.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetRawText());

        var missing = await CallAsync<CampaignFunctions>((f, r) => f.GetCampaign(r, "no-such-campaign", default), "GET", "/api/campaigns/no-such-campaign");
        Assert.Equal((404, "application/problem+json"), (missing.Status, missing.ContentType));
        var missingOverHttp = await _app.Http.GetAsync("/api/campaigns/no-such-campaign");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (missingOverHttp.StatusCode, missingOverHttp.Content.Headers.ContentType?.MediaType));
    }

    [Fact]
    public async Task The_leaderboard_answers_304_to_a_current_etag_in_both_hosts()
    {
        var first = await CallAsync<CampaignFunctions>((f, r) => f.GetLeaderboard(r, _campaign, default), "GET", $"/api/campaigns/{_campaign}/leaderboard");
        Assert.Equal(200, first.Status);
        var etag = first.Headers.ETag.ToString();
        Assert.False(string.IsNullOrEmpty(etag));
        var again = await CallAsync<CampaignFunctions>((f, r) => f.GetLeaderboard(r, _campaign, default), "GET", $"/api/campaigns/{_campaign}/leaderboard",
            prepare: r => r.Headers.IfNoneMatch = etag);
        Assert.Equal((304, ""), (again.Status, again.Body));

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/campaigns/{_campaign}/leaderboard");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        var overHttp = await _app.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, overHttp.StatusCode);
        Assert.Equal(etag, overHttp.Headers.ETag?.ToString());
    }
}
