using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace GivingDay.Json;

/// <summary>The one JSON options object: camelCase, enums as camelCase strings, Chinese kept readable.</summary>
public static class GivingDayJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        // Source-generated metadata first; reflection after it only for types without any (anonymous answers).
        var reflection = options.TypeInfoResolverChain.Count > 0 || options.TypeInfoResolver is not null;
        options.TypeInfoResolverChain.Insert(0, GivingDayJsonContext.Default);
        if (!reflection) options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        return options;
    }
}
