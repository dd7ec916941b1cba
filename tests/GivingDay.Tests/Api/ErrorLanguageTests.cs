using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GivingDay.Json;
using GivingDay.Tests.Infrastructure;
using GivingDay.Validation;

namespace GivingDay.Tests.Api;

/// <summary>Problem+json speaks the request's language (Chinese first, English when preferred), in yuan, with stable codes
/// that do not change with the language: <c>code</c> for the request, <c>codes</c> beside <c>errors</c> for fields.</summary>
public class ErrorLanguageTests(ErrorLanguageTests.Campaign fixture) : IClassFixture<ErrorLanguageTests.Campaign>
{
    /// <summary>One app and one live campaign for the class.</summary>
    public sealed class Campaign() : SharedApp(listeners: false)
    {
        public string Id { get; } = TestCampaigns.NewId("lang");

        protected override async Task SetUpAsync(AppInstance app) => (await app.PutCampaignAsync(Id, TestCampaigns.Definition())).EnsureSuccessStatusCode();
    }

    private readonly AppInstance _app = fixture.App;
    private readonly string _campaign = fixture.Id;

    private async Task<(HttpResponseMessage Response, JsonElement Problem)> SendAsync(HttpRequestMessage request, string? acceptLanguage)
    {
        if (acceptLanguage is not null) request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        var response = await _app.Http.SendAsync(request);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private Task<(HttpResponseMessage Response, JsonElement Problem)> PledgeAsync(object body, string? acceptLanguage) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{_campaign}/pledges") { Content = JsonContent.Create(body, options: GivingDayJson.Options) }, acceptLanguage);

    private static Dictionary<string, string[]> Map(JsonElement o) =>
        o.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());

    /// <summary>Every field wrong at once.</summary>
    private static readonly object BadPledge = new
    {
        projectId = "nope",
        amount = 99,
        donor = new { name = new string('名', 33), anonymous = "yes", contact = "call me" },
        message = "hi\u0007",
    };

    [Fact]
    public async Task The_same_bad_pledge_in_Chinese_and_English_names_every_field_with_the_same_codes()
    {
        var (zhResponse, zh) = await PledgeAsync(BadPledge, "zh-CN");
        var (enResponse, en) = await PledgeAsync(BadPledge, "en");

        Assert.Equal(HttpStatusCode.BadRequest, zhResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, enResponse.StatusCode);
        var codes = Map(zh.GetProperty("codes"));
        Assert.Equal(codes, Map(en.GetProperty("codes")));
        Assert.Equal(new Dictionary<string, string[]>
        {
            ["projectId"] = ["projectId.unknown"],
            ["amount"] = ["amount.out_of_range"],
            ["donor.anonymous"] = ["anonymous.not_boolean"],
            ["donor.name"] = ["displayName.too_long"],
            ["donor.contact"] = ["contact.invalid"],
            ["message"] = ["message.control_chars"],
        }, codes);
        Assert.Equal("request.invalid", zh.GetProperty("code").GetString());
        Assert.Equal("request.invalid", en.GetProperty("code").GetString());
        // errors and codes have the same keys.
        Assert.Equal(codes.Keys.Order(), Map(zh.GetProperty("errors")).Keys.Order());
        Assert.Equal(codes.Keys.Order(), Map(en.GetProperty("errors")).Keys.Order());

        var zhErrors = Map(zh.GetProperty("errors"));
        var enErrors = Map(en.GetProperty("errors"));
        Assert.Equal("金额须在 ¥1.00 至 ¥50,000.00 之间", zhErrors["amount"][0]);
        Assert.Equal("Amount must be between ¥1.00 and ¥50,000.00", enErrors["amount"][0]);
        Assert.Equal("“nope”不是本活动的项目", zhErrors["projectId"][0]);
        Assert.Equal("'nope' is not a project of this campaign", enErrors["projectId"][0]);
        Assert.Equal("显示名最多 32 个字", zhErrors["donor.name"][0]);
        Assert.Equal("Display name must be at most 32 characters", enErrors["donor.name"][0]);
        Assert.Equal("请求无效", zh.GetProperty("title").GetString());
        Assert.Equal("Invalid request", en.GetProperty("title").GetString());
        Assert.Equal("zh-CN", zhResponse.Content.Headers.ContentLanguage.Single());
        Assert.Equal("en", enResponse.Content.Headers.ContentLanguage.Single());
        // No fen in any message, no English in the Chinese ones.
        Assert.All(zhErrors.Values.Concat(enErrors.Values).SelectMany(m => m), m => Assert.DoesNotContain("fen", m));
        Assert.All(zhErrors.Values.SelectMany(m => m), m => Assert.DoesNotMatch("must|between|is not", m));
    }

    [Theory]
    [InlineData(null, "zh")]
    [InlineData("fr-FR", "zh")]
    [InlineData("en-US,en;q=0.9", "en")]
    [InlineData("zh-CN,zh;q=0.9,en;q=0.8", "zh")]
    [InlineData("en;q=0.5, zh-TW;q=0.9", "zh")]
    [InlineData("zh;q=0.1, en", "en")]
    [InlineData("fr, en-GB;q=0.7, zh;q=0.3", "en")]
    [InlineData("en;q=0, zh;q=0.2", "zh")]
    public async Task Accept_language_chooses_the_language_honouring_q_values(string? header, string expected)
    {
        var (_, problem) = await PledgeAsync(new { projectId = "zaochan", amount = 99 }, header);
        var message = problem.GetProperty("errors").GetProperty("amount")[0].GetString();
        Assert.Equal(expected == "zh" ? "金额须在 ¥1.00 至 ¥50,000.00 之间" : "Amount must be between ¥1.00 and ¥50,000.00", message);
    }

    [Theory]
    [InlineData("99999999999999999999", "amount.too_large", "金额过大：须在 ¥1.00 至 ¥50,000.00 之间")]
    [InlineData("-99999999999999999999", "amount.out_of_range", "金额须在 ¥1.00 至 ¥50,000.00 之间")]
    [InlineData("5000000000", "amount.out_of_range", "金额须在 ¥1.00 至 ¥50,000.00 之间")]
    [InlineData("50.5", "amount.not_integer", "金额须为以分计的整数（5000 即 ¥50.00）")]
    [InlineData("\"5000\"", "amount.not_integer", "金额须为以分计的整数（5000 即 ¥50.00）")]
    public async Task An_amount_too_long_for_any_number_is_too_large_not_a_fraction(string amount, string code, string message)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{_campaign}/pledges")
        {
            Content = new StringContent($"{{\"projectId\":\"zaochan\",\"amount\":{amount}}}", Encoding.UTF8, "application/json"),
        };
        var (response, problem) = await SendAsync(request, null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, problem.GetProperty("codes").GetProperty("amount")[0].GetString());
        Assert.Equal(message, problem.GetProperty("errors").GetProperty("amount")[0].GetString());
    }

    [Fact]
    public async Task Whole_request_problems_carry_a_code_and_speak_the_language()
    {
        var (notFound, zh) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/nope"), "zh-CN");
        var (_, en) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/nope"), "en");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(("campaign.not_found", "campaign.not_found"), (zh.GetProperty("code").GetString(), en.GetProperty("code").GetString()));
        Assert.Equal("没有编号为“nope”的活动", zh.GetProperty("detail").GetString());
        Assert.Equal("No campaign 'nope'.", en.GetProperty("detail").GetString());

        var unsupported = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{_campaign}/pledges") { Content = new StringContent("{}", Encoding.UTF8, "text/plain") };
        var (status415, media) = await SendAsync(unsupported, "en");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status415.StatusCode);
        Assert.Equal("contentType.unsupported", media.GetProperty("code").GetString());
        Assert.Equal("contentType.unsupported", media.GetProperty("codes").GetProperty("Content-Type")[0].GetString());

        var (unauthorized, key) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}/snapshots"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("organiser.key_required", key.GetProperty("code").GetString());
        Assert.Equal("未授权", key.GetProperty("title").GetString());

        var badKey = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{_campaign}/pledges") { Content = JsonContent.Create(new { projectId = "zaochan", amount = 5000 }) };
        badKey.Headers.Add("Idempotency-Key", "no spaces allowed");
        var (status400, idem) = await SendAsync(badKey, "zh-CN");
        Assert.Equal(HttpStatusCode.BadRequest, status400.StatusCode);
        Assert.Equal("idempotencyKey.invalid", idem.GetProperty("code").GetString());
        Assert.Equal("idempotencyKey.invalid", idem.GetProperty("codes").GetProperty("Idempotency-Key")[0].GetString());

        var (unknown, project) = await PledgeAsync(new { projectId = "nope", amount = 5000 }, "en");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("projectId.unknown", project.GetProperty("code").GetString());
        Assert.Equal("Unknown project", project.GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_closed_campaign_says_so_with_a_code_in_both_languages()
    {
        var closed = TestCampaigns.NewId("lang-closed");
        (await _app.PutCampaignAsync(closed, TestCampaigns.Definition())).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await _app.Http.SendAsync(_app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{closed}/close"))).StatusCode);
        var request = (string lang) => SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{closed}/pledges")
            { Content = JsonContent.Create(new { projectId = "zaochan", amount = 5000 }) }, lang);
        var (status, zh) = await request("zh-CN");
        var (_, en) = await request("en");
        Assert.Equal(HttpStatusCode.Conflict, status.StatusCode);
        Assert.Equal("campaign.closed", zh.GetProperty("code").GetString());
        Assert.Equal("campaign.closed", en.GetProperty("code").GetString());
        Assert.Equal("活动已结束，不再接受捐赠", zh.GetProperty("detail").GetString());
        Assert.Equal("The campaign is closed and takes no more pledges.", en.GetProperty("detail").GetString());
    }

    /// <summary>Every code the source names has a text in both languages, so no answer ever fails to find its words.</summary>
    [Fact]
    public void Every_code_the_app_uses_is_in_the_catalogue()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GivingDay.slnx"))) root = Path.GetDirectoryName(root)!;
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
            foreach (var line in File.ReadLines(file))
            {
                // errors.Add(field, "code", ...): the second argument; Problems.…("code", …): any dotted literal.
                var codes = line.Contains("errors.Add(") ? Regex.Matches(line, "errors\\.Add\\([^,]+,\\s*\"([a-zA-Z]+\\.[a-z_]+)\"")
                    : line.Contains("Problems.") ? Regex.Matches(line, "(?<![$\\w])\"([a-zA-Z]+\\.[a-z_]+)\"") : null;
                foreach (Match m in codes ?? (IEnumerable<Match>)[]) used.Add(m.Groups[1].Value);
            }
        Assert.True(used.Count > 40, $"only {used.Count} codes found: the scan is broken");
        Assert.Equal("", string.Join(", ", used.Where(code => !ErrorCatalogue.Knows(code))));
    }
}
