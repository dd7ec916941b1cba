using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GivingDay.Amounts;

/// <summary>An amount of Chinese yuan in fen (1/100 yuan). Never a floating-point type.</summary>
[JsonConverter(typeof(MoneyJsonConverter))]
public readonly record struct Money(long Fen) : IComparable<Money>
{
    public static readonly Money Zero = new(0);

    public static Money operator +(Money a, Money b) => new(checked(a.Fen + b.Fen));
    public static Money operator -(Money a, Money b) => new(checked(a.Fen - b.Fen));
    public static bool operator <(Money a, Money b) => a.Fen < b.Fen;
    public static bool operator >(Money a, Money b) => a.Fen > b.Fen;
    public static bool operator <=(Money a, Money b) => a.Fen <= b.Fen;
    public static bool operator >=(Money a, Money b) => a.Fen >= b.Fen;

    public static Money Min(Money a, Money b) => a.Fen <= b.Fen ? a : b;
    public static Money Max(Money a, Money b) => a.Fen >= b.Fen ? a : b;

    /// <summary>floor(this × ratio), exact in integers. Integer division truncates towards zero, so a
    /// negative product with a remainder is stepped down once more to make it a floor.</summary>
    public Money FloorTimes(Ratio ratio)
    {
        var quotient = Math.DivRem(checked(Fen * ratio.PerTenThousand), Ratio.Scale, out var remainder);
        return new(remainder < 0 ? quotient - 1 : quotient);
    }

    public int CompareTo(Money other) => Fen.CompareTo(other.Fen);

    // The sign is written on its own: -50 fen has a whole part of 0, which carries no sign.
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Fen < 0 ? "-" : "")}{Math.Abs(Fen / 100)}.{Math.Abs(Fen % 100):00}");
}

public static class MoneyExtensions
{
    public static Money Sum(this IEnumerable<Money> amounts)
    {
        var total = Money.Zero;
        foreach (var a in amounts) total += a;
        return total;
    }

    public static Money Sum<T>(this IEnumerable<T> items, Func<T, Money> amount) => items.Select(amount).Sum();
}

/// <summary>JSON: a plain integer number of fen. Decimals or strings are refused.</summary>
public sealed class MoneyJsonConverter : JsonConverter<Money>
{
    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var fen))
            throw new JsonException("must be a whole number of fen");
        return new Money(fen);
    }

    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Fen);
}
