using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Json;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

/// <summary>The contract check that every API test's client runs (<see cref="ContractCheck"/>) passes what the document
/// declares and fails what it does not: a missing required property, an extra one, an undeclared status, a request
/// body the document would refuse, a query parameter it does not list.</summary>
public class OpenApiContractTests : IAsyncLifetime
{
    private AppInstance _app = null!;
    private string _campaign = null!;
    private static OpenApiContract Contract => OpenApiContract.Api;

    public async Task InitializeAsync()
    {
        _app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        _campaign = TestCampaigns.NewId("oas");
        (await _app.PutCampaignAsync(_campaign, TestCampaigns.Definition([TestCampaigns.Fund("f1", 100_000)]))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static OpenApiContract.Exchange Get(string path, int status, string body, string type = "application/json", string[]? query = null) =>
        new("GET", path, query ?? [], null, null, status, type, body);

    [Fact]
    public async Task A_real_answer_passes_and_the_same_answer_without_a_required_property_fails()
    {
        var path = $"/api/campaigns/{_campaign}/leaderboard";
        var body = await _app.Http.GetStringAsync(path);
        Assert.Empty(Contract.Check(Get(path, 200, body)));

        var missing = JsonNode.Parse(body)!.AsObject();
        missing.Remove("totals");
        var broken = Contract.Check(Get(path, 200, missing.ToJsonString()));
        Assert.Contains(broken, b => b.Contains("GetLeaderboard") && b.Contains("totals"));

        var nested = JsonNode.Parse(body)!.AsObject();
        nested["totals"]!.AsObject().Remove("donors");
        Assert.Contains(Contract.Check(Get(path, 200, nested.ToJsonString())), b => b.Contains("donors"));

        var extra = JsonNode.Parse(body)!.AsObject();
        extra["secret"] = "leaked";
        Assert.Contains(Contract.Check(Get(path, 200, extra.ToJsonString())), b => b.Contains("GetLeaderboard"));

        var wrongType = JsonNode.Parse(body)!.AsObject();
        wrongType["asOf"] = 5;
        Assert.NotEmpty(Contract.Check(Get(path, 200, wrongType.ToJsonString())));
    }

    [Fact]
    public async Task Problems_pass_when_declared_and_an_undeclared_status_or_media_type_fails()
    {
        var path = $"/api/campaigns/{_campaign}/leaderboard";
        var invalid = await _app.Http.GetAsync(path + "?by=size");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadAsStringAsync();
        Assert.Empty(Contract.Check(Get(path, 400, problem, "application/problem+json", ["by"])));

        // A 400 that names no field breaks the leaderboard's contract (its 400 always names `by`).
        var unnamed = JsonNode.Parse(problem)!.AsObject();
        unnamed.Remove("errors");
        Assert.Contains(Contract.Check(Get(path, 400, unnamed.ToJsonString(), "application/problem+json")), b => b.Contains("errors"));

        Assert.Contains(Contract.Check(Get(path, 418, problem, "application/problem+json")), b => b.Contains("GetLeaderboard") && b.Contains("declares no 418"));
        Assert.Contains(Contract.Check(Get(path, 404, problem, "application/json")), b => b.Contains("application/problem+json"));
    }

    [Fact]
    public async Task A_request_the_app_accepted_must_fit_the_document()
    {
        var path = $"/api/campaigns/{_campaign}/pledges";
        var body = JsonSerializer.Serialize(new { projectId = "zaochan", amount = 5000, donor = new { name = "张三", contact = "13800138000" } }, GivingDayJson.Options);
        var accepted = await _app.Http.PostAsync(path, JsonContent.Create(JsonNode.Parse(body)));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var answer = await accepted.Content.ReadAsStringAsync();
        OpenApiContract.Exchange Post(string requestBody, string[]? query = null) =>
            new("POST", path, query ?? [], "application/json", requestBody, 202, "application/json", answer);
        Assert.Empty(Contract.Check(Post(body)));

        Assert.Contains(Contract.Check(Post("""{"projectId":"zaochan"}""")), b => b.Contains("PostPledge") && b.Contains("request:") && b.Contains("amount"));
        Assert.Contains(Contract.Check(Post("""{"projectId":"zaochan","amount":"5000"}""")), b => b.Contains("PostPledge") && b.Contains("request:"));
        Assert.Contains(Contract.Check(Post(body, ["dryRun"])), b => b.Contains("'dryRun'"));
    }

    [Fact]
    public async Task The_client_of_every_api_test_fails_an_exchange_that_breaks_the_document()
    {
        // The check runs inside every AppInstance's HttpClient: a query parameter the document does not list, on an
        // answer that succeeded, fails the call itself and names the function.
        var thrown = await Assert.ThrowsAsync<OpenApiContractException>(() => _app.Http.GetAsync($"/api/campaigns/{_campaign}?debug=1"));
        Assert.Contains("GetCampaign", thrown.Message);
        Assert.Contains("'debug'", thrown.Message);
    }
}
