using System.Numerics;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GivingDay.Json;
using GivingDay.Tests.Matching;

// Not GivingDay.Tests.Money: a namespace of that name would shadow the Money type in every other test namespace.
namespace GivingDay.Tests.Amounts;

using GivingDay.Amounts;

[Properties(Replay = "(876204631,1421373969)", MaxTest = 1000)]
public class MoneyTests
{
    [Fact]
    public void Sum_adds_amounts_and_an_empty_sum_is_zero()
    {
        Assert.Equal(new Money(6_050), new[] { new Money(5_000), new Money(1_000), new Money(50) }.Sum());
        Assert.Equal(new Money(300), new[] { (Name: "a", Amount: new Money(100)), (Name: "b", Amount: new Money(200)) }.Sum(x => x.Amount));
        Assert.Equal(Money.Zero, Array.Empty<Money>().Sum());
    }

    [Fact]
    public void Arithmetic_that_would_overflow_throws_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue) + new Money(1));
        Assert.Throws<OverflowException>(() => new[] { new Money(long.MaxValue), new Money(1) }.Sum());
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue).FloorTimes(new Ratio(20_000)));
    }

    [Theory]
    [InlineData(333, 5_000, 166)]          // 166.5 floors down
    [InlineData(10_000, 10_000, 10_000)]   // 1:1
    [InlineData(5_000, 20_000, 10_000)]    // 1:2
    [InlineData(9_999, 1, 0)]              // 0.9999 fen floors to nothing
    [InlineData(10_000, 1, 1)]
    [InlineData(5_000_000, 1_000_000, 500_000_000)] // the largest default pledge at the largest ratio
    [InlineData(-333, 5_000, -167)]        // floor, not truncation, below zero
    public void FloorTimes_examples(long fen, long perTenThousand, long expected) =>
        Assert.Equal(new Money(expected), new Money(fen).FloorTimes(new Ratio(perTenThousand)));

    [Property]
    public Property FloorTimes_is_the_exact_floor_computed_in_big_integers() =>
        Prop.ForAll(MatchingGen.Long(-1_000_000_000_000, 1_000_000_000_000).ToArbitrary(), Gen.Choose(1, (int)Ratio.MaxPerTenThousand).ToArbitrary(), (fen, ratio) =>
            Assert.Equal(MatchingGen.FloorTimes(fen, ratio), new BigInteger(new Money(fen).FloorTimes(new Ratio(ratio)).Fen)));

    [Theory]
    [InlineData(5_000, "50.00")]
    [InlineData(5, "0.05")]
    [InlineData(0, "0.00")]
    [InlineData(-150, "-1.50")]
    [InlineData(-50, "-0.50")]
    public void ToString_shows_yuan_with_two_decimals(long fen, string expected) => Assert.Equal(expected, new Money(fen).ToString());

    private sealed record Gift(Money Amount, Money? Cap);

    [Fact]
    public void Json_is_a_plain_integer_of_fen_both_ways()
    {
        Assert.Equal("""{"amount":5000,"cap":null}""", JsonSerializer.Serialize(new Gift(new Money(5_000), null), GivingDayJson.Options));
        Assert.Equal(new Gift(new Money(5_000), new Money(7)), JsonSerializer.Deserialize<Gift>("""{"amount":5000,"cap":7}""", GivingDayJson.Options));
        Assert.Equal(new Gift(new Money(1), null), JsonSerializer.Deserialize<Gift>("""{"amount":1,"cap":null}""", GivingDayJson.Options));
    }

    [Theory]
    [InlineData("50.5")]
    [InlineData("5000.0")]
    [InlineData("5e3")]
    [InlineData("\"5000\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("99999999999999999999")]
    public void Json_refuses_decimals_strings_and_anything_but_whole_fen(string amount) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Gift>($$"""{"amount":{{amount}}}""", GivingDayJson.Options));
}
