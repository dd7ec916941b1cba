using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GivingDay.Json;
using GivingDay.Amounts;

namespace GivingDay.Tests.Amounts;

[Properties(Replay = "(1993407415,1330829651)", MaxTest = 1000)]
public class RatioTests
{
    [Theory]
    [InlineData("1", 10_000)]
    [InlineData("0.5", 5_000)]
    [InlineData("2", 20_000)]
    [InlineData("1.2345", 12_345)]
    [InlineData("0.0001", 1)]
    [InlineData("100", 1_000_000)]
    [InlineData("100.0000", 1_000_000)]
    [InlineData("1.50000", 15_000)] // trailing zeros add no precision
    [InlineData("007", 70_000)]
    public void Parses_up_to_four_decimals(string text, long perTenThousand)
    {
        Assert.True(Ratio.TryParse(text, out var ratio));
        Assert.Equal(new Ratio(perTenThousand), ratio);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.0000")]
    [InlineData("0.00001")]
    [InlineData("-1")]
    [InlineData("-0.5")]
    [InlineData("100.0001")]
    [InlineData("101")]
    [InlineData("1.23456")]
    [InlineData("1.00000000000000000000000000001")] // more digits than decimal holds: must not round to 1
    [InlineData("79228162514264337593543950335")]   // decimal.MaxValue: must not overflow when scaled
    [InlineData("1e2")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1,5")]
    [InlineData("one")]
    public void Refuses_zero_negative_above_100_more_than_four_decimals_and_non_numbers(string text) =>
        Assert.False(Ratio.TryParse(text, out _));

    [Theory]
    [InlineData(10_000, "1")]
    [InlineData(15_000, "1.5")]
    [InlineData(12_345, "1.2345")]
    [InlineData(1, "0.0001")]
    [InlineData(1_000_000, "100")]
    public void ToString_is_the_shortest_exact_decimal(long perTenThousand, string expected) =>
        Assert.Equal(expected, new Ratio(perTenThousand).ToString());

    private sealed record Terms(Ratio Ratio);

    [Property]
    public Property Json_round_trips_every_valid_ratio() =>
        Prop.ForAll(Gen.Choose(1, (int)Ratio.MaxPerTenThousand).ToArbitrary(), v =>
        {
            var json = JsonSerializer.Serialize(new Terms(new Ratio(v)), GivingDayJson.Options);
            Assert.Equal(new Terms(new Ratio(v)), JsonSerializer.Deserialize<Terms>(json, GivingDayJson.Options));
            Assert.True(Ratio.TryParse(new Ratio(v).ToString(), out var parsed) && parsed == new Ratio(v));
        });

    [Fact]
    public void Json_writes_a_plain_number() =>
        Assert.Equal("""{"ratio":0.5}""", JsonSerializer.Serialize(new Terms(new Ratio(5_000)), GivingDayJson.Options));

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("100.5")]
    [InlineData("0.12345")]
    [InlineData("null")]
    public void Json_refuses_strings_and_out_of_range_ratios(string ratio) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Terms>($$"""{"ratio":{{ratio}}}""", GivingDayJson.Options));
}
