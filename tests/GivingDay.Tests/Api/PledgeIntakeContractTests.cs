using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Json;
using GivingDay.Pledges;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

/// <summary>Every bad-input case of POST /pledges in api.md: a clear problem+json naming the field, and nothing written.
/// One app for the class; each test gives to a campaign of its own, so "nothing written" is about that test alone.</summary>
public class PledgeIntakeContractTests(HttpOnlyApp shared) : IClassFixture<HttpOnlyApp>, IAsyncLifetime
{
    private readonly AppInstance _app = shared.App;
    private string _campaign = null!;

    public async Task InitializeAsync() => _campaign = await shared.NewCampaignAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<int> LedgerRowsAsync(string campaignId)
    {
        var n = 0;
        await foreach (var row in _app.Get<StorageAccount>().Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaignId}")))
            if (row.RowKey != "state") n++;
        return n;
    }

    private async Task<HttpResponseMessage> PostRawAsync(string campaignId, string body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaignId}/pledges") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await _app.Http.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Theory]
    [InlineData("empty body", "", "body")]
    [InlineData("malformed JSON", "{\"projectId\":\"zaochan\",\"amount\":", "body")]
    [InlineData("array body", "[]", "body")]
    [InlineData("projectId missing", "{\"amount\":5000}", "projectId")]
    [InlineData("projectId a number", "{\"projectId\":7,\"amount\":5000}", "projectId")]
    [InlineData("amount missing", "{\"projectId\":\"zaochan\"}", "amount")]
    [InlineData("amount as a string", "{\"projectId\":\"zaochan\",\"amount\":\"5000\"}", "amount")]
    [InlineData("amount with decimals", "{\"projectId\":\"zaochan\",\"amount\":50.5}", "amount")]
    [InlineData("amount below minimum", "{\"projectId\":\"zaochan\",\"amount\":99}", "amount")]
    [InlineData("amount above maximum", "{\"projectId\":\"zaochan\",\"amount\":5000001}", "amount")]
    [InlineData("donor a string", "{\"projectId\":\"zaochan\",\"amount\":5000,\"donor\":\"me\"}", "donor")]
    [InlineData("anonymous not a boolean", "{\"projectId\":\"zaochan\",\"amount\":5000,\"donor\":{\"anonymous\":\"yes\"}}", "donor.anonymous")]
    [InlineData("name too long", "{\"projectId\":\"zaochan\",\"amount\":5000,\"donor\":{\"name\":\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三\"}}", "donor.name")]
    [InlineData("name with a control character", "{\"projectId\":\"zaochan\",\"amount\":5000,\"donor\":{\"name\":\"a\\u0007b\"}}", "donor.name")]
    [InlineData("contact not a mobile or e-mail", "{\"projectId\":\"zaochan\",\"amount\":5000,\"donor\":{\"contact\":\"12345\"}}", "donor.contact")]
    [InlineData("message with a control character", "{\"projectId\":\"zaochan\",\"amount\":5000,\"message\":\"hi\\u0000\"}", "message")]
    public async Task Invalid_body_is_400_naming_the_field_and_writes_nothing(string why, string body, string field)
    {
        using var response = await PostRawAsync(_campaign, body);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        var problem = await ProblemAsync(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: errors should name {field}: {problem}");
        Assert.Equal(0, await LedgerRowsAsync(_campaign));
    }

    [Fact]
    public async Task Message_over_200_characters_is_400_naming_message()
    {
        using var response = await _app.PledgeAsync(_campaign, new { projectId = "zaochan", amount = 5000, message = new string('爱', 201) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("message", out _));
        Assert.Equal(0, await LedgerRowsAsync(_campaign));
    }

    [Fact]
    public async Task Name_of_32_characters_after_NFC_is_accepted()
    {
        // 32 characters once composed ("é" as e + combining acute is 2 code points before NFC).
        var name = string.Concat(Enumerable.Repeat("e\u0301", 32));
        using var response = await _app.PledgeAsync(_campaign, new { projectId = "zaochan", amount = 5000, donor = new { name } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("key.with.dots")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task Bad_idempotency_key_is_400_and_writes_nothing(string key)
    {
        using var response = await PostRawAsync(_campaign, "{\"projectId\":\"zaochan\",\"amount\":5000}", key);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        Assert.Equal(0, await LedgerRowsAsync(_campaign));
    }

    [Fact]
    public async Task Body_over_4_KiB_is_413_and_writes_nothing()
    {
        var body = "{\"projectId\":\"zaochan\",\"amount\":5000,\"message\":\"" + new string('x', 4200) + "\"}";
        using var response = await PostRawAsync(_campaign, body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await ProblemAsync(response);
        Assert.Equal(0, await LedgerRowsAsync(_campaign));
    }

    [Fact]
    public async Task Unknown_campaign_is_404()
    {
        using var response = await _app.PledgeAsync("no-such-campaign", new { projectId = "zaochan", amount = 5000 });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await ProblemAsync(response);
    }

    [Fact]
    public async Task Unknown_project_is_404_naming_projectId_and_writes_nothing()
    {
        using var response = await _app.PledgeAsync(_campaign, new { projectId = "nope", amount = 5000 });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("projectId", out _));
        Assert.Equal(0, await LedgerRowsAsync(_campaign));
    }

    [Fact]
    public async Task Campaign_before_its_start_is_409_and_writes_nothing()
    {
        var id = TestCampaigns.NewId();
        (await _app.PutCampaignAsync(id, TestCampaigns.Definition(startsAt: DateTimeOffset.UtcNow.AddDays(1), endsAt: DateTimeOffset.UtcNow.AddDays(2)))).EnsureSuccessStatusCode();
        using var response = await _app.PledgeAsync(id, new { projectId = "zaochan", amount = 5000 });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(0, await LedgerRowsAsync(id));
    }

    [Fact]
    public async Task Campaign_after_its_end_is_409_and_writes_nothing()
    {
        var id = TestCampaigns.NewId();
        (await _app.PutCampaignAsync(id, TestCampaigns.Definition(startsAt: DateTimeOffset.UtcNow.AddDays(-2), endsAt: DateTimeOffset.UtcNow.AddMinutes(-1)))).EnsureSuccessStatusCode();
        using var response = await _app.PledgeAsync(id, new { projectId = "zaochan", amount = 5000 });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(0, await LedgerRowsAsync(id));
    }

    [Fact]
    public async Task Valid_pledge_is_202_with_location_and_stored_with_its_outbox_marker_and_contact_hashed()
    {
        using var response = await _app.PledgeAsync(_campaign, new { projectId = "zaochan", amount = 5000, donor = new { name = "张三丰", contact = "13800138000" }, message = "加油" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("pledgeId").GetString()!;
        Assert.Equal("accepted", body.GetProperty("status").GetString());
        Assert.Equal(body.GetProperty("statusUrl").GetString(), response.Headers.Location?.ToString());

        var table = _app.Get<StorageAccount>().Table(StorageNames.LedgerTable);
        var row = (await table.GetEntityAsync<TableEntity>(_campaign, "p|" + id)).Value;
        // Listed in the outbox marker of its intake transaction until counted.
        var marker = (await table.GetEntityAsync<TableEntity>(_campaign, "q|" + row.GetString("Marker"))).Value;
        Assert.Contains(id, PledgeRows.MarkedPledges(marker));
        var stored = string.Join("|", ((IDictionary<string, object>)row).Values.Select(v => v?.ToString()));
        Assert.DoesNotContain("13800138000", stored);
        // The full name is kept for the organiser's donor list in its own column, and nowhere else: not in what the
        // queue message carries of the pledge.
        Assert.Equal("张三丰", row.GetString("DisplayName"));
        Assert.Equal(2, stored.Split("张三丰").Length);
        Assert.DoesNotContain("张三丰", JsonSerializer.Serialize(PledgeRows.FromRow(row).Pledge, GivingDayJson.Options));
        Assert.Equal("张**", row.GetString("MaskedName"));

        var status = await _app.GetJsonAsync($"/api/campaigns/{_campaign}/pledges/{id}");
        Assert.Equal(5000, status.GetProperty("amount").GetInt64());
        Assert.Equal("accepted", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Unknown_pledge_is_404()
    {
        using var response = await _app.Http.GetAsync($"/api/campaigns/{_campaign}/pledges/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
