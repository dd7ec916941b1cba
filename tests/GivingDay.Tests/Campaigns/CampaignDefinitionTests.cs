using System.Text.Json;
using System.Text.Json.Nodes;
using GivingDay.Campaigns;
using GivingDay.Validation;

namespace GivingDay.Tests.Campaigns;

using GivingDay.Amounts;

public class CampaignDefinitionTests
{
    private static JsonObject ValidBody() => JsonNode.Parse("""
        {
          "name": "2026 99公益日 · 南通红十字",
          "event": "99",
          "startsAt": "2026-09-07T00:00:00+08:00",
          "endsAt": "2026-09-10T00:00:00+08:00",
          "minPledge": 100,
          "maxPledge": 5000000,
          "projects": [
            { "id": "shou-hu-zao-chan", "name": "守护早产小天使", "goal": 50000000 },
            { "id": "wei-xin-yuan", "name": "红十字微心愿", "goal": 20000000 }
          ],
          "matchingFunds": [
            { "id": "bank", "sponsor": "某银行", "ratio": 1, "pool": 10000000, "perPledgeCap": 50000, "perDonorCap": 100000,
              "startsAt": "2026-09-07T09:00:00+08:00", "endsAt": "2026-09-07T21:00:00+08:00", "projectIds": ["shou-hu-zao-chan"] },
            { "id": "charity", "sponsor": "爱心企业", "ratio": 0.5, "pool": 0 }
          ]
        }
        """)!.AsObject();

    private static (Campaign? Campaign, ValidationErrors Errors) Parse(JsonNode body, string campaignId = "nantong-99-2026")
    {
        var errors = new ValidationErrors();
        var campaign = CampaignDefinition.Parse(campaignId, JsonSerializer.Deserialize<JsonElement>(body.ToJsonString()), errors);
        return (campaign, errors);
    }

    /// <summary>Changes the valid body, parses it, and expects exactly the named fields to be refused.</summary>
    private static void AssertRefused(Action<JsonObject> change, params string[] fields)
    {
        var body = ValidBody();
        change(body);
        var (campaign, errors) = Parse(body);
        Assert.Null(campaign);
        Assert.Equal(fields.Order(), errors.ToDictionary().Keys.Order());
    }

    private static JsonObject Fund(JsonObject body, int i) => body["matchingFunds"]![i]!.AsObject();
    private static JsonObject Project(JsonObject body, int i) => body["projects"]![i]!.AsObject();

    [Fact]
    public void A_valid_definition_parses_with_fund_windows_defaulting_to_the_campaign()
    {
        var (campaign, errors) = Parse(ValidBody());
        Assert.True(errors.IsEmpty);
        Assert.NotNull(campaign);
        Assert.Equal("nantong-99-2026", campaign.Id);
        Assert.Equal(new DateTimeOffset(2026, 9, 7, 0, 0, 0, TimeSpan.FromHours(8)), campaign.StartsAt);
        Assert.Equal(["shou-hu-zao-chan", "wei-xin-yuan"], campaign.Projects.Select(p => p.Id));
        var bank = campaign.MatchingFunds[0];
        Assert.Equal((new Ratio(10_000), new Money(10_000_000), new Money(50_000), new Money(100_000)), (bank.Ratio, bank.Pool, bank.PerPledgeCap!.Value, bank.PerDonorCap!.Value));
        Assert.Equal(["shou-hu-zao-chan"], bank.ProjectIds);
        var charity = campaign.MatchingFunds[1];
        Assert.Equal((campaign.StartsAt, campaign.EndsAt, new Ratio(5_000)), (charity.StartsAt, charity.EndsAt, charity.Ratio));
        Assert.Null(charity.PerPledgeCap);
        Assert.Empty(charity.ProjectIds);
    }

    [Fact]
    public void Pledge_limits_default_when_absent()
    {
        var body = ValidBody();
        body.Remove("minPledge");
        body.Remove("maxPledge");
        var (campaign, _) = Parse(body);
        Assert.Equal((CampaignDefinition.DefaultMinPledge, CampaignDefinition.DefaultMaxPledge), (campaign!.MinPledge, campaign.MaxPledge));
    }

    [Theory]
    [InlineData("name")]
    [InlineData("event")]
    [InlineData("startsAt")]
    [InlineData("endsAt")]
    [InlineData("projects")]
    public void A_missing_required_field_is_named(string field) => AssertRefused(b => b.Remove(field), field);

    [Fact]
    public void A_blank_name_is_refused() => AssertRefused(b => b["name"] = "   ", "name");

    [Fact]
    public void An_unknown_event_is_refused() => AssertRefused(b => b["event"] = "double-11", "event");

    [Fact]
    public void A_bad_campaign_id_is_named()
    {
        var (campaign, errors) = Parse(ValidBody(), "Nantong 99");
        Assert.Null(campaign);
        Assert.Equal(["campaignId"], errors.ToDictionary().Keys);
    }

    [Theory]
    [InlineData("2026-09-07T00:00:00+08:00")] // equal
    [InlineData("2026-09-06T23:59:59+08:00")] // before
    [InlineData("2026-09-06T16:00:00Z")]      // the same instant as startsAt, written in UTC
    public void EndsAt_not_after_startsAt_is_refused(string endsAt) => AssertRefused(b =>
    {
        b["endsAt"] = endsAt;
        Fund(b, 0).Remove("startsAt");
        Fund(b, 0).Remove("endsAt");
    }, "endsAt", "matchingFunds[1].endsAt", "matchingFunds[0].endsAt");

    [Theory]
    [InlineData("2026-09-07T00:00:00")]         // no offset: ambiguous to organisers in UTC+8
    [InlineData("2026-09-07")]
    [InlineData("09/07/2026 00:00:00 +08:00")]  // has an offset but is not ISO 8601: month/day order is a guess
    [InlineData("2026-09-07T00:00:00+0800")]
    [InlineData("not a time")]
    public void Times_without_an_offset_or_not_in_ISO_8601_are_refused(string startsAt) =>
        AssertRefused(b => b["startsAt"] = startsAt, "startsAt");

    [Fact]
    public void A_time_given_as_a_number_is_refused() => AssertRefused(b => b["startsAt"] = 1788710400, "startsAt");

    [Fact]
    public void A_fund_time_without_offset_is_named_with_its_fund() =>
        AssertRefused(b => Fund(b, 0)["startsAt"] = "2026-09-07T09:00:00", "matchingFunds[0].startsAt");

    [Fact]
    public void Accepts_Z_and_fractional_seconds()
    {
        var body = ValidBody();
        body["startsAt"] = "2026-09-06T16:00:00.000Z";
        var (campaign, errors) = Parse(body);
        Assert.True(errors.IsEmpty, string.Join("; ", errors.ToDictionary().Keys));
        Assert.Equal(new DateTimeOffset(2026, 9, 7, 0, 0, 0, TimeSpan.FromHours(8)), campaign!.StartsAt);
    }

    [Fact]
    public void MaxPledge_below_minPledge_is_refused() => AssertRefused(b => { b["minPledge"] = 1000; b["maxPledge"] = 999; }, "maxPledge");

    [Fact]
    public void MinPledge_below_one_fen_is_refused() => AssertRefused(b => b["minPledge"] = 0, "minPledge");

    [Theory]
    [InlineData("goal", "1.5")]
    [InlineData("goal", "\"100\"")]
    [InlineData("goal", "-1")]
    public void A_project_goal_must_be_whole_fen_and_not_negative(string field, string value) =>
        AssertRefused(b => Project(b, 1)[field] = JsonNode.Parse(value), $"projects[1].{field}");

    [Fact]
    public void A_duplicate_project_id_is_named() =>
        AssertRefused(b => Project(b, 1)["id"] = "shou-hu-zao-chan", "projects[1].id");

    [Fact]
    public void A_duplicate_project_id_is_named_even_when_the_first_has_other_errors() =>
        AssertRefused(b => { Project(b, 0).Remove("name"); Project(b, 1)["id"] = "shou-hu-zao-chan"; }, "projects[0].name", "projects[1].id");

    [Fact]
    public void A_fund_naming_a_project_with_other_errors_is_not_blamed_for_it() =>
        AssertRefused(b => Project(b, 0)["name"] = "", "projects[0].name");

    [Fact]
    public void An_empty_project_list_is_refused_and_a_fund_naming_a_project_is_then_wrong_too() =>
        AssertRefused(b => b["projects"] = new JsonArray(), "projects", "matchingFunds[0].projectIds");

    [Fact]
    public void A_duplicate_fund_id_is_named() => AssertRefused(b => Fund(b, 1)["id"] = "bank", "matchingFunds[1].id");

    [Fact]
    public void A_duplicate_fund_id_is_named_even_when_the_first_has_other_errors() =>
        AssertRefused(b => { Fund(b, 0).Remove("sponsor"); Fund(b, 1)["id"] = "bank"; }, "matchingFunds[0].sponsor", "matchingFunds[1].id");

    [Fact]
    public void An_unknown_project_in_a_fund_is_named() =>
        AssertRefused(b => Fund(b, 0)["projectIds"] = new JsonArray("shou-hu-zao-chan", "no-such-project"), "matchingFunds[0].projectIds");

    [Fact]
    public void A_negative_pool_is_refused() => AssertRefused(b => Fund(b, 1)["pool"] = -1, "matchingFunds[1].pool");

    [Fact]
    public void A_missing_pool_is_refused() => AssertRefused(b => Fund(b, 1).Remove("pool"), "matchingFunds[1].pool");

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("100.0001")]
    [InlineData("101")]
    [InlineData("0.12345")]
    [InlineData("\"1\"")]
    [InlineData("null")]
    public void A_ratio_of_zero_or_above_100_or_finer_than_four_decimals_is_refused(string ratio) =>
        AssertRefused(b => Fund(b, 0)["ratio"] = JsonNode.Parse(ratio), "matchingFunds[0].ratio");

    [Theory]
    [InlineData("100", 1_000_000)]
    [InlineData("0.0001", 1)]
    [InlineData("1.2345", 12_345)]
    public void A_ratio_up_to_100_with_four_decimals_is_accepted(string ratio, long perTenThousand)
    {
        var body = ValidBody();
        Fund(body, 0)["ratio"] = JsonNode.Parse(ratio);
        Assert.Equal(new Ratio(perTenThousand), Parse(body).Campaign!.MatchingFunds[0].Ratio);
    }

    [Theory]
    [InlineData("perPledgeCap")]
    [InlineData("perDonorCap")]
    public void A_cap_of_zero_is_refused(string cap) => AssertRefused(b => Fund(b, 0)[cap] = 0, $"matchingFunds[0].{cap}");

    [Fact]
    public void A_fund_starting_before_the_campaign_is_refused() =>
        AssertRefused(b => Fund(b, 0)["startsAt"] = "2026-09-06T23:59:59+08:00", "matchingFunds[0].startsAt");

    [Fact]
    public void A_fund_ending_after_the_campaign_is_refused() =>
        AssertRefused(b => Fund(b, 0)["endsAt"] = "2026-09-10T00:00:01+08:00", "matchingFunds[0].endsAt");

    [Fact]
    public void A_fund_ending_before_it_starts_is_refused() =>
        AssertRefused(b => Fund(b, 0)["endsAt"] = "2026-09-07T09:00:00+08:00", "matchingFunds[0].endsAt");

    [Fact]
    public void A_fund_window_equal_to_the_campaign_is_accepted()
    {
        var body = ValidBody();
        Fund(body, 0)["startsAt"] = "2026-09-06T16:00:00Z";
        Fund(body, 0)["endsAt"] = "2026-09-10T00:00:00+08:00";
        Assert.True(Parse(body).Errors.IsEmpty);
    }

    [Fact]
    public void Every_bad_field_is_named_at_once() => AssertRefused(b =>
    {
        b.Remove("name");
        b["maxPledge"] = 50;
        Project(b, 1)["id"] = "shou-hu-zao-chan";
        Fund(b, 0)["ratio"] = 0;
        Fund(b, 0)["projectIds"] = new JsonArray("nope");
        Fund(b, 1)["pool"] = -100;
        Fund(b, 1)["endsAt"] = "2026-09-11T00:00:00+08:00";
    }, "name", "maxPledge", "projects[1].id", "matchingFunds[0].ratio", "matchingFunds[0].projectIds", "matchingFunds[1].pool", "matchingFunds[1].endsAt");

    [Fact]
    public void A_body_that_is_not_an_object_is_refused()
    {
        var (campaign, errors) = Parse(new JsonArray());
        Assert.Null(campaign);
        Assert.True(errors.Has("body"));
    }
}
