using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GivingDay.Json;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

/// <summary>Rules a first real use found missing: the books stay whole through edits, replays keep their answer after the
/// close, only JSON (or CSV for offline files) bodies are read, and every bad field is named at once.</summary>
public class ApiRulesTests
{
    private static object Definition(params object[] projects) => new Dictionary<string, object?>
    {
        ["name"] = "2026年南通市红十字会5·8人道公益日",
        ["event"] = "5.8",
        ["startsAt"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["endsAt"] = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["projects"] = projects,
    };

    [Fact]
    public async Task A_project_with_counted_gifts_cannot_be_removed_and_nothing_is_written_but_its_name_and_goal_may_change()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId("books");
        (await app.PutCampaignAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000 }, new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 5000 })).StatusCode);
        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard"),
            t => t.GetProperty("totals").GetProperty("pledges").GetInt64() == 1, what: "the gift counted");

        var removed = await app.PutCampaignAsync(campaign, Definition(new { id = "weixinyuan", name = "红十字微心愿", goal = 50000 }));
        Assert.Equal(HttpStatusCode.BadRequest, removed.StatusCode);
        var problem = await removed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("zaochan", problem.GetProperty("errors").GetProperty("projects")[0].GetString());
        var unchanged = await app.GetJsonAsync($"/api/campaigns/{campaign}");
        Assert.Equal(["zaochan", "weixinyuan"], unchanged.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("id").GetString()));

        // A project with no gifts may go; one with gifts may change its name and goal.
        var edited = await app.PutCampaignAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使（二期）", goal = 200000 }));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var after = await app.GetJsonAsync($"/api/campaigns/{campaign}");
        var project = Assert.Single(after.GetProperty("projects").EnumerateArray());
        Assert.Equal(("zaochan", "守护早产小天使（二期）", 200000L), (project.GetProperty("id").GetString(), project.GetProperty("name").GetString(), project.GetProperty("goal").GetInt64()));
    }

    [Fact]
    public async Task A_replayed_idempotency_key_gets_its_original_answer_after_close_and_after_finalize()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix());
        var campaign = TestCampaigns.NewId("replay");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var body = new { projectId = "zaochan", amount = 8800, donor = new { name = "赵六", contact = "13912345678" } };
        var first = await app.PledgeAsync(campaign, body, "gift-before-close");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var original = await first.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await app.Http.SendAsync(app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{campaign}/close"))).StatusCode);
        var afterClose = await app.PledgeAsync(campaign, body, "gift-before-close");
        Assert.Equal(HttpStatusCode.Accepted, afterClose.StatusCode);
        Assert.Equal(original, await afterClose.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await app.PledgeAsync(campaign, body with { amount = 9900 }, "gift-before-close")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.PledgeAsync(campaign, body, "a-new-gift-after-close")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.PledgeAsync(campaign, body)).StatusCode);

        await AppInstance.EventuallyAsync(() => app.GetJsonAsync($"/api/campaigns/{campaign}"), c => c.GetProperty("status").GetString() == "finalized",
            TimeSpan.FromSeconds(90), "finalized");
        var afterFinal = await app.PledgeAsync(campaign, body, "gift-before-close");
        Assert.Equal(HttpStatusCode.Accepted, afterFinal.StatusCode);
        Assert.Equal(original, await afterFinal.Content.ReadAsStringAsync());
        // Still one pledge.
        Assert.Equal(1, (await app.GetJsonAsync($"/api/campaigns/{campaign}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64());
    }

    [Theory]
    [InlineData("POST", "/api/campaigns/{0}/pledges", "text/plain")]
    [InlineData("POST", "/api/campaigns/{0}/pledges", null)]
    [InlineData("PUT", "/api/organiser/campaigns/{0}-new", "text/plain")]
    [InlineData("POST", "/api/organiser/campaigns/{0}/offline-pledges", "application/x-www-form-urlencoded")]
    public async Task A_body_that_is_not_json_or_csv_is_415_naming_the_content_type_and_writes_nothing(string method, string path, string? contentType)
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId("media");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        var json = path.Contains("offline") ? "[{\"projectId\":\"zaochan\",\"amount\":10000}]"
            : path.Contains("pledges") ? "{\"projectId\":\"zaochan\",\"amount\":5000}"
            : JsonSerializer.Serialize(TestCampaigns.Definition(), GivingDayJson.Options);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        if (contentType is not null) content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);

        var response = await app.Http.SendAsync(app.Organiser(new HttpMethod(method), string.Format(path, campaign), content));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("Content-Type", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync($"/api/campaigns/{campaign}-new")).StatusCode);
        var ledger = await (await app.Http.SendAsync(app.Organiser(HttpMethod.Get, $"/api/campaigns/{campaign}/leaderboard"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, ledger.GetProperty("totals").GetProperty("pledges").GetInt64());
    }

    [Fact]
    public async Task An_unknown_project_is_named_beside_the_other_bad_fields_and_alone_it_is_404()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId("fields");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();

        var both = await app.PledgeAsync(campaign, new { projectId = "nope", amount = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        var errors = (await both.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["amount", "projectId"], errors.EnumerateObject().Select(e => e.Name).Order());

        var alone = await app.PledgeAsync(campaign, new { projectId = "nope", amount = 5000 });
        Assert.Equal(HttpStatusCode.NotFound, alone.StatusCode);
        Assert.True((await alone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("projectId", out _));
    }

    [Fact]
    public async Task A_project_has_an_optional_story_and_https_picture_and_bad_ones_are_named()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var campaign = TestCampaigns.NewId("story");
        var story = "为早产儿家庭提供救助。\n每一份爱心都很重要。";
        (await app.PutCampaignAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000, story, pictureUrl = "https://example.org/zaochan.jpg" }))).EnsureSuccessStatusCode();
        var project = (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects")[0];
        Assert.Equal(story, project.GetProperty("story").GetString());
        Assert.Equal("https://example.org/zaochan.jpg", project.GetProperty("pictureUrl").GetString());

        var bad = await app.PutCampaignAsync(campaign, Definition(new { id = "zaochan", name = "守护早产小天使", goal = 100000,
            story = new string('长', 2001), pictureUrl = "javascript:alert(1)" }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["projects[0].pictureUrl", "projects[0].story"], errors.EnumerateObject().Select(e => e.Name).Order());
        // Nothing written: the story is still the first one.
        Assert.Equal(story, (await app.GetJsonAsync($"/api/campaigns/{campaign}")).GetProperty("projects")[0].GetProperty("story").GetString());
    }
}
