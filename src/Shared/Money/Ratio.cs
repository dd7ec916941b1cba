using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GivingDay.Money;

/// <summary>A matching ratio with up to four decimals, kept as an integer per ten thousand so
/// that floor(amount × ratio) is exact.</summary>
[JsonConverter(typeof(RatioJsonConverter))]
public readonly record struct Ratio(long PerTenThousand)
{
    public const long Scale = 10_000;
    public const long MaxPerTenThousand = 100 * Scale;

    public static Ratio One => new(Scale);

    /// <summary>Parses "1", "0.5", "1.2345": above zero, at most 100, at most four decimals.</summary>
    public static bool TryParse(string text, out Ratio ratio)
    {
        ratio = default;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
        var scaled = value * Scale;
        if (scaled != decimal.Truncate(scaled)) return false;
        if (scaled <= 0 || scaled > MaxPerTenThousand) return false;
        ratio = new Ratio((long)scaled);
        return true;
    }

    public override string ToString()
    {
        var whole = PerTenThousand / Scale;
        var frac = PerTenThousand % Scale;
        return frac == 0 ? whole.ToString(CultureInfo.InvariantCulture) : $"{whole}.{frac:0000}".TrimEnd('0');
    }
}

public sealed class RatioJsonConverter : JsonConverter<Ratio>
{
    public override Ratio Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
            throw new JsonException("must be a number");
        var text = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray());
        if (!Ratio.TryParse(text, out var ratio))
            throw new JsonException("must be above 0 and at most 100, with at most four decimals");
        return ratio;
    }

    public override void Write(Utf8JsonWriter writer, Ratio value, JsonSerializerOptions options) => writer.WriteRawValue(value.ToString());
}
