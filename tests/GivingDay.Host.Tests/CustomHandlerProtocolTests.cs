using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Host.Tests;

/// <summary>The requests the Functions host sends a custom handler, shaped as Microsoft documents them:
/// HTTP requests forwarded as they are (enableForwardingHttpRequest), queue and timer invocations as
/// POST /{FunctionName} with { Data, Metadata }, answered with { Outputs, Logs, ReturnValue }.</summary>
public class CustomHandlerProtocolTests
{
    private static async Task<AppInstance> HostedAsync(string? prefix = null) =>
        await AppInstance.StartAsync(prefix ?? Azurite.UniquePrefix(),
            new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = Azurite.FreePorts(1)[0].ToString() }, args: []);

    private static JsonObject QueueInvocation(JsonNode message, JsonNode dequeueCount) => new()
    {
        ["Data"] = new JsonObject { ["message"] = message.DeepClone() },
        ["Metadata"] = new JsonObject
        {
            ["DequeueCount"] = dequeueCount, ["Id"] = Guid.NewGuid().ToString(), ["PopReceipt"] = "AgAAAAMAAAAAAAAA",
            ["InsertionTime"] = DateTimeOffset.UtcNow.ToString("O"), ["ExpirationTime"] = DateTimeOffset.UtcNow.AddDays(7).ToString("O"),
            ["NextVisibleTime"] = DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"),
            ["sys"] = new JsonObject { ["MethodName"] = "CountPledges", ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O"), ["RandGuid"] = Guid.NewGuid().ToString() },
        },
    };

    private static async Task<string> OneQueuedMessageAsync(AppInstance app)
    {
        var queue = app.Get<StorageAccount>().Queue(StorageNames.PledgeQueue);
        var peeked = await AppInstance.EventuallyAsync(async () => (await queue.PeekMessagesAsync(32)).Value, m => m.Length > 0, what: "a queued pledge batch");
        return peeked[0].Body.ToString();
    }

    private static void AssertInvocationShape(JsonElement answer)
    {
        Assert.Equal(JsonValueKind.Object, answer.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, answer.GetProperty("Logs").ValueKind);
        Assert.True(answer.TryGetProperty("ReturnValue", out _));
    }

    [Fact]
    public async Task Hosted_mode_listens_on_the_port_the_host_gives_and_runs_no_listeners_of_its_own()
    {
        var port = Azurite.FreePorts(1)[0];
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString() }, args: []);
        Assert.Equal(port, app.BaseAddress.Port);
        Assert.Equal("127.0.0.1", app.BaseAddress.Host);
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000 })).StatusCode);
        await OneQueuedMessageAsync(app);
        await Task.Delay(2000);
        // The host delivers queue messages here; the app itself does not take them.
        Assert.NotEmpty((await app.Get<StorageAccount>().Queue(StorageNames.PledgeQueue).PeekMessagesAsync(32)).Value);
        Assert.Equal(0, (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64());
    }

    [Theory]
    [InlineData(false, "number")]
    [InlineData(true, "string")]
    public async Task A_queue_invocation_counts_the_batch_and_answers_in_the_documented_shape(bool messageAsJsonValue, string dequeueCountAs)
    {
        await using var app = await HostedAsync();
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000, donor = new { contact = "13800000000" } });
        var text = await OneQueuedMessageAsync(app);

        // The host passes the message text as a JSON string, or, when the text is JSON, as that JSON value.
        JsonNode message = messageAsJsonValue ? JsonNode.Parse(text)! : JsonValue.Create(text)!;
        JsonNode dequeueCount = dequeueCountAs == "number" ? JsonValue.Create(1)! : JsonValue.Create("1")!;
        var response = await app.Http.PostAsJsonAsync("/CountPledges", QueueInvocation(message, dequeueCount));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertInvocationShape(await response.Content.ReadFromJsonAsync<JsonElement>());
        var totals = (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals");
        Assert.Equal(5000, totals.GetProperty("raised").GetInt64());

        // The host may deliver it again: nothing changes.
        Assert.Equal(HttpStatusCode.OK, (await app.Http.PostAsJsonAsync("/CountPledges", QueueInvocation(message, JsonValue.Create(2)!))).StatusCode);
        await Task.Delay(600);
        Assert.Equal(1, (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64());
    }

    [Fact]
    public async Task A_failing_invocation_answers_500_in_the_same_shape_so_the_host_retries_and_poisons()
    {
        await using var app = await HostedAsync();
        var response = await app.Http.PostAsJsonAsync("/CountPledges",
            QueueInvocation(JsonValue.Create("{\"campaignId\":\"no-such-campaign\",\"pledges\":[]}")!, JsonValue.Create(1)!));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        AssertInvocationShape(answer);
        Assert.Contains("no-such-campaign", answer.GetProperty("Logs").ToString());

        var garbage = await app.Http.PostAsJsonAsync("/CountPledges", QueueInvocation(JsonValue.Create("not json")!, JsonValue.Create(5)!));
        Assert.Equal(HttpStatusCode.InternalServerError, garbage.StatusCode);
    }

    [Fact]
    public async Task A_timer_invocation_runs_the_function()
    {
        await using var app = await HostedAsync();
        var body = new JsonObject
        {
            ["Data"] = new JsonObject { ["timer"] = new JsonObject { ["Schedule"] = new JsonObject { ["AdjustForDST"] = false }, ["ScheduleStatus"] = null, ["IsPastDue"] = false } },
            ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = "RedrivePledges" } },
        };
        var response = await app.Http.PostAsJsonAsync("/RedrivePledges", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertInvocationShape(await response.Content.ReadFromJsonAsync<JsonElement>());
        var snapshot = await app.Http.PostAsJsonAsync("/SnapshotProgress", body);
        Assert.Equal(HttpStatusCode.OK, snapshot.StatusCode);
    }

    [Fact]
    public async Task Standalone_the_invocation_routes_do_not_exist()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        foreach (var name in new[] { "CountPledges", "RedrivePledges", "SnapshotProgress", "FinalizeCampaign" })
        {
            var response = await app.Http.PostAsJsonAsync($"/{name}", QueueInvocation(JsonValue.Create("{}")!, JsonValue.Create(1)!));
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        }
    }

    [Fact]
    public async Task Forwarded_http_requests_keep_path_query_headers_and_body()
    {
        await using var app = await HostedAsync();
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        // Body and a header: the same Idempotency-Key gives the same pledge.
        var first = await app.PledgeAsync(campaign, new { projectId = "weixinyuan", amount = 3000, donor = new { contact = "13800000001" } }, "fwd-1");
        var again = await app.PledgeAsync(campaign, new { projectId = "weixinyuan", amount = 3000, donor = new { contact = "13800000001" } }, "fwd-1");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        // A header the host forwards from the client decides the answer (If-None-Match → 304).
        var board = await app.Http.GetAsync($"/api/campaigns/{campaign}/leaderboard?by=donors");
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/campaigns/{campaign}/leaderboard?by=donors");
        request.Headers.IfNoneMatch.Add(board.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await app.Http.SendAsync(request)).StatusCode);
        // The query decides too.
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync($"/api/campaigns/{campaign}/leaderboard?by=nothing")).StatusCode);
    }

    [Fact]
    public async Task Under_the_host_each_forwarded_client_has_its_own_rate_limit()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(),
            new() { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = Azurite.FreePorts(1)[0].ToString(), ["RateLimit:PerClientPerSecond"] = "2" }, args: []);
        var campaign = TestCampaigns.NewId();
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
        {
            var r = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaign}/pledges") { Content = JsonContent.Create(new { projectId = "zaochan", amount = 100 }) };
            r.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            return app.Http.SendAsync(r);
        }));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
    }
}
