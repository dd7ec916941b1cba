using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GivingDay.Amounts;

/// <summary>A matching ratio with up to four decimals, kept as an integer per ten thousand so
/// that floor(amount × ratio) is exact.</summary>
[JsonConverter(typeof(RatioJsonConverter))]
public readonly record struct Ratio(long PerTenThousand)
{
    public const long Scale = 10_000;
    public const long MaxPerTenThousand = 100 * Scale;

    public static Ratio One => new(Scale);

    /// <summary>Parses "1", "0.5", "1.2345": ASCII digits with an optional fraction, above zero, at most 100,
    /// at most four decimals once trailing zeros are dropped. Read digit by digit rather than through
    /// <see cref="decimal"/>, which silently rounds past 28 digits and overflows when scaled near its maximum.</summary>
    public static bool TryParse(string text, out Ratio ratio)
    {
        ratio = default;
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length == 0 || (dot >= 0 && fraction.Length == 0)) return false;
        if (!whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit)) return false;
        whole = whole.TrimStart('0');
        fraction = fraction.TrimEnd('0');
        if (whole.Length > 3 || fraction.Length > 4) return false;
        var perTenThousand = (whole.Length == 0 ? 0 : long.Parse(whole, CultureInfo.InvariantCulture)) * Scale
            + (fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(4, '0'), CultureInfo.InvariantCulture));
        if (perTenThousand <= 0 || perTenThousand > MaxPerTenThousand) return false;
        ratio = new Ratio(perTenThousand);
        return true;
    }

    public override string ToString()
    {
        var whole = PerTenThousand / Scale;
        var frac = PerTenThousand % Scale;
        return frac == 0 ? whole.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{whole}.{frac:0000}").TrimEnd('0');
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
