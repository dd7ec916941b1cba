using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using GivingDay.Json;
using GivingDay.Storage;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

/// <summary>The organiser's donor list: full display names as given (online and offline), never a contact or its hash,
/// as JSON or Excel-ready CSV; every download logged with who, when, format, rows and address.</summary>
public class DonorListTests(DonorListTests.Gifts fixture) : IClassFixture<DonorListTests.Gifts>
{
    private const string Hyperlink = "=HYPERLINK(\"http://e.cn\",\"点我\")";

    /// <summary>One app and one campaign with two online gifts (one anonymous) and two offline ones, for the class.</summary>
    public sealed class Gifts() : SharedApp(listeners: false)
    {
        public string Campaign { get; } = TestCampaigns.NewId("donors");

        protected override async Task SetUpAsync(AppInstance app)
        {
            (await app.PutCampaignAsync(Campaign, TestCampaigns.Definition())).EnsureSuccessStatusCode();
            Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(Campaign,
                new { projectId = "zaochan", amount = 8800, donor = new { name = "张三丰", contact = "13800001234" }, message = "加油" })).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(Campaign,
                new { projectId = "weixinyuan", amount = 123456, donor = new { name = "李四", anonymous = true, contact = "lisi@example.cn" } })).StatusCode);
            // Saved by Excel as "CSV UTF-8": with a byte order mark.
            var file = "\uFEFFprojectId,amount,name,message,receivedAt\r\n" +
                       "songwanjia,10000,王先生,募捐箱,2026-05-08T10:00:00+08:00\r\n" +
                       $"zaochan,500,\"{Hyperlink.Replace("\"", "\"\"")}\",,2026-05-08T02:30:00Z\r\n";
            var import = await app.Http.SendAsync(app.Organiser(HttpMethod.Post, $"/api/organiser/campaigns/{Campaign}/offline-pledges",
                new StringContent(file, Encoding.UTF8, "text/csv")));
            Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        }
    }

    private readonly AppInstance _app = fixture.App;
    private readonly string _campaign = fixture.Campaign;

    private Task<HttpResponseMessage> DonorsAsync(string query = "", string? by = "%E5%BC%A0%E7%BB%8F%E7%90%86", bool key = true)
    {
        var request = key ? _app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}/donors{query}")
            : new HttpRequestMessage(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}/donors{query}");
        if (by is not null) request.Headers.Add("X-Organiser-Name", by);
        return _app.Http.SendAsync(request);
    }

    /// <summary>What must never leave: the contacts, and the keyed hashes the ledger keeps of them.</summary>
    private async Task<List<string>> SecretsAsync()
    {
        var secrets = new List<string> { "13800001234", "lisi@example.cn" };
        await foreach (var row in _app.Get<StorageAccount>().Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {_campaign}")))
            if (row.GetString("DonorHash") is { } hash) secrets.Add(hash);
        Assert.Equal(4, secrets.Count);
        return secrets;
    }

    [Fact]
    public async Task The_json_list_has_full_names_as_given_and_never_a_contact()
    {
        var response = await DonorsAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(_campaign, body.GetProperty("campaignId").GetString());
        var donors = body.GetProperty("donors").EnumerateArray().ToList();
        Assert.Equal(4, donors.Count);
        var byName = donors.Where(d => d.GetProperty("displayName").ValueKind == JsonValueKind.String).ToDictionary(d => d.GetProperty("displayName").GetString()!);
        Assert.Equal(["=HYPERLINK(\"http://e.cn\",\"点我\")", "张三丰", "王先生"], byName.Keys.Order(StringComparer.Ordinal));

        var online = byName["张三丰"];
        Assert.Equal(("zaochan", "守护早产小天使", 8800L, "88.00", 0L, "online", false),
            (online.GetProperty("projectId").GetString(), online.GetProperty("projectName").GetString(), online.GetProperty("amountFen").GetInt64(),
             online.GetProperty("amountYuan").GetString(), online.GetProperty("matchedFen").GetInt64(), online.GetProperty("channel").GetString(),
             online.GetProperty("anonymous").GetBoolean()));
        Assert.Equal("offline", byName["王先生"].GetProperty("channel").GetString());
        var anonymous = donors.Single(d => d.GetProperty("anonymous").GetBoolean());
        Assert.Equal(JsonValueKind.Null, anonymous.GetProperty("displayName").ValueKind);
        Assert.Equal("1234.56", anonymous.GetProperty("amountYuan").GetString());
        Assert.Equal(["acceptedAt", "amountFen", "amountYuan", "anonymous", "channel", "displayName", "matchedFen", "pledgeId", "projectId", "projectName"],
            online.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(await SecretsAsync(), s => Assert.DoesNotContain(s, text));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_csv_is_ready_for_excel_and_defuses_a_formula_name()
    {
        var response = await DonorsAsync("?format=csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("捐赠编号,显示名,匿名,项目编号,项目,金额（元）,金额（分）,配捐（元）,配捐（分）,渠道,时间（北京时间）", lines[0]);
        Assert.Equal(5, lines.Length);
        // The formula is text: an apostrophe in front, quoted as RFC 4180 wants.
        Assert.Contains(",\"'=HYPERLINK(\"\"http://e.cn\"\",\"\"点我\"\")\",否,zaochan,守护早产小天使,5.00,500,0.00,0,线下,2026-05-08 10:30:00", text);
        Assert.Contains(",王先生,否,songwanjia,博爱送万家,100.00,10000,0.00,0,线下,2026-05-08 10:00:00", text);
        Assert.Contains(",张三丰,否,zaochan,守护早产小天使,88.00,8800,0.00,0,线上,", text);
        Assert.Contains(",,是,weixinyuan,红十字微心愿,1234.56,123456,", text);
        Assert.All(await SecretsAsync(), s => Assert.DoesNotContain(s, text));
    }

    [Fact]
    public async Task Every_download_is_logged_with_who_when_format_rows_and_address()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        Assert.Equal(HttpStatusCode.OK, (await DonorsAsync(by: "Ops%20Li")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DonorsAsync("?format=csv")).StatusCode);
        // Refused requests hand out nothing and are not downloads.
        Assert.Equal(HttpStatusCode.BadRequest, (await DonorsAsync(by: null)).StatusCode);

        var log = await _app.Http.SendAsync(_app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}/donors/downloads"));
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        var downloads = (await log.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("downloads").EnumerateArray().ToList();
        // Other tests of this class download too; ours are the newest two.
        var ours = downloads.Where(d => d.GetProperty("at").GetDateTimeOffset() >= start).Take(2).ToList();
        Assert.Equal([("张经理", "csv"), ("Ops Li", "json")], ours.Select(d => (d.GetProperty("by").GetString(), d.GetProperty("format").GetString())));
        Assert.All(ours, d =>
        {
            Assert.Equal(4, d.GetProperty("rows").GetInt32());
            Assert.False(string.IsNullOrEmpty(d.GetProperty("clientAddress").GetString()));
            Assert.Equal(TimeSpan.Zero, d.GetProperty("at").GetDateTimeOffset().Offset);
        });
        Assert.True(ours[0].GetProperty("at").GetDateTimeOffset() >= ours[1].GetProperty("at").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("/donors")]
    [InlineData("/donors?format=csv")]
    [InlineData("/donors/downloads")]
    public async Task Without_the_organiser_key_it_is_401_and_nothing_is_logged(string path)
    {
        var before = await DownloadCountAsync();
        var none = new HttpRequestMessage(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}{path}");
        none.Headers.Add("X-Organiser-Name", "someone");
        var wrong = new HttpRequestMessage(HttpMethod.Get, $"/api/organiser/campaigns/{_campaign}{path}");
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-key");
        wrong.Headers.Add("X-Organiser-Name", "someone");
        foreach (var request in new[] { none, wrong })
        {
            var response = await _app.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("organiser.key_required", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
        Assert.Equal(before, await DownloadCountAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    [InlineData("%00")]
    public async Task Without_who_downloads_it_is_400_naming_the_header(string? by)
    {
        var before = await DownloadCountAsync();
        var response = await DonorsAsync(by: by);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("organiserName.required", problem.GetProperty("codes").GetProperty("X-Organiser-Name")[0].GetString());
        Assert.Contains("X-Organiser-Name", problem.GetProperty("errors").GetProperty("X-Organiser-Name")[0].GetString());
        Assert.Equal(before, await DownloadCountAsync());
    }

    [Fact]
    public async Task An_unknown_campaign_or_format_is_refused()
    {
        var unknown = _app.Organiser(HttpMethod.Get, "/api/organiser/campaigns/nope/donors");
        unknown.Headers.Add("X-Organiser-Name", "someone");
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.SendAsync(unknown)).StatusCode);
        var xml = await DonorsAsync("?format=xml");
        Assert.Equal(HttpStatusCode.BadRequest, xml.StatusCode);
        Assert.Equal("format.invalid", (await xml.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("codes").GetProperty("format")[0].GetString());
    }

    private async Task<int> DownloadCountAsync()
    {
        var n = 0;
        await foreach (var _ in _app.Get<StorageAccount>().Table(StorageNames.DonorDownloadsTable).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {_campaign}")))
            n++;
        return n;
    }
}
