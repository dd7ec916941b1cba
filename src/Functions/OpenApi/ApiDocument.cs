using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using GivingDay.Functions.Http;
using GivingDay.Json;
using GivingDay.Amounts;

namespace GivingDay.Functions.OpenApi;

/// <summary>The OpenAPI 3.1 document of the function app, built by reflection: every HTTP function's route and methods
/// (the <c>[HttpTrigger]</c> the Worker SDK reads too), its summary, parameters, body and answers from the attributes
/// beside it (<see cref="AnswerAttribute"/>, <see cref="ProblemAttribute"/>...), and JSON Schemas exported by
/// System.Text.Json from the very types the functions serialize, with the app's JSON options.</summary>
public static partial class ApiDocument
{
    private static readonly ConcurrentDictionary<string, string> Served = new(StringComparer.Ordinal);
    private static readonly JsonSerializerOptions Writing = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The document as both hosts serve it, for functions under <paramref name="basePath"/> ("/api").</summary>
    public static string Json(string basePath) =>
        Served.GetOrAdd(basePath, b => Build(HttpFunction.In(typeof(ApiDocument).Assembly), b).ToJsonString(Writing));

    public static JsonObject Build(IReadOnlyList<HttpFunction> functions, string basePath)
    {
        var schemas = new Schemas();
        var paths = new JsonObject();
        foreach (var route in functions.GroupBy(f => "/" + RouteParameter().Replace(f.Route, "{$1}")).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var item = new JsonObject();
            foreach (var f in route.OrderBy(f => f.Name, StringComparer.Ordinal))
                foreach (var method in f.Methods) item[method.ToLowerInvariant()] = Operation(f, schemas);
            paths[route.Key] = item;
        }
        return new JsonObject
        {
            ["openapi"] = "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = "GivingDay API",
                ["version"] = "1",
                ["description"] = "Pledges, live totals and the public ledger of charity giving-day campaigns, and the organisers' routes. "
                    + "JSON is UTF-8 and camelCase; money is an integer number of fen (5000 is ¥50.00); times are ISO 8601 with an offset. "
                    + "Every failure is RFC 9457 application/problem+json; a field error names the field in `errors`. "
                    + "Generated from the function app's code: each operation is one HTTP function (its operationId).",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = basePath.Length == 0 ? "/" : basePath }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas.Components,
                ["securitySchemes"] = new JsonObject
                {
                    [OrganiserKeyScheme] = new JsonObject
                    {
                        ["type"] = "http",
                        ["scheme"] = "bearer",
                        ["description"] = "Authorization: Bearer <Organiser:ApiKey>",
                    },
                },
            },
        };
    }

    private const string OrganiserKeyScheme = "organiserKey";

    [GeneratedRegex(@"\{([^}:?=]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    private static JsonObject Operation(HttpFunction f, Schemas schemas)
    {
        var method = f.Method;
        var type = method.DeclaringType!;
        var operation = new JsonObject
        {
            ["operationId"] = f.Name,
            ["tags"] = new JsonArray(type.Name.EndsWith("Functions", StringComparison.Ordinal) ? type.Name[..^"Functions".Length] : type.Name),
        };
        if (method.GetCustomAttribute<EndpointSummaryAttribute>() is { } summary) operation["summary"] = summary.Summary;
        if (method.GetCustomAttribute<EndpointDescriptionAttribute>() is { } description) operation["description"] = description.Description;

        var parameters = new JsonArray();
        foreach (Match m in RouteParameter().Matches(f.Route))
            parameters.Add(new JsonObject { ["name"] = m.Groups[1].Value, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        foreach (var p in method.GetCustomAttributes().OfType<IParameterAttribute>())
        {
            var schema = schemas.Inline(p.Type);
            if (p.Allowed.Length > 0) schema["enum"] = new JsonArray(p.Allowed.Select(a => (JsonNode)a).ToArray());
            parameters.Add(new JsonObject { ["name"] = p.Name, ["in"] = p.In, ["description"] = p.Description, ["required"] = p.Required, ["schema"] = schema });
        }
        if (parameters.Count > 0) operation["parameters"] = parameters;

        var bodies = method.GetCustomAttributes().OfType<IBodyAttribute>().ToList();
        if (bodies.Count > 0)
        {
            var content = new JsonObject();
            foreach (var b in bodies) content[b.ContentType] = new JsonObject { ["schema"] = schemas.Of(b.Body, strict: false) };
            operation["requestBody"] = new JsonObject
            {
                ["description"] = string.Join(" ", bodies.Select(b => b.Description).Distinct()),
                ["required"] = true,
                ["content"] = content,
            };
        }

        var responses = new SortedDictionary<int, JsonObject>();
        foreach (var answers in method.GetCustomAttributes<AnswerAttribute>().GroupBy(a => a.Status))
        {
            var response = Response(string.Join(" Or: ", answers.Select(a => a.Description)), answers.SelectMany(a => a.Headers));
            var bodied = answers.Where(a => a.Body is not null).GroupBy(a => a.ContentType).ToList();
            if (bodied.Count > 0)
                response["content"] = new JsonObject(bodied.Select(byType => KeyValuePair.Create(byType.Key, (JsonNode?)new JsonObject
                {
                    ["schema"] = byType.Count() == 1 ? schemas.Of(byType.Single().Body!, strict: true)
                        : new JsonObject { ["oneOf"] = new JsonArray(byType.Select(a => (JsonNode)schemas.Of(a.Body!, strict: true)).ToArray()) },
                })));
            responses[answers.Key] = response;
        }

        var problems = method.GetCustomAttributes<ProblemAttribute>().Concat(type.GetCustomAttributes<ProblemAttribute>()).ToList();
        if (type.GetCustomAttribute<RequiresOrganiserKeyAttribute>() is not null)
        {
            operation["security"] = new JsonArray(new JsonObject { [OrganiserKeyScheme] = new JsonArray() });
            problems.Add(new ProblemAttribute(StatusCodes.Status401Unauthorized, "No organiser key, or the wrong one.") { Headers = ["WWW-Authenticate"] });
        }
        problems.Add(new ProblemAttribute(StatusCodes.Status500InternalServerError, "A failure nobody planned for: a traceId to quote, nothing of the exception."));
        foreach (var problem in problems.GroupBy(p => p.Status))
        {
            if (responses.ContainsKey(problem.Key)) throw new InvalidOperationException($"{f.Name}: status {problem.Key} is both an answer and a problem");
            var response = Response(string.Join(" Or: ", problem.Select(p => p.Description)), problem.SelectMany(p => p.Headers));
            response["content"] = new JsonObject
            {
                ["application/problem+json"] = new JsonObject { ["schema"] = schemas.Of(problem.All(p => p.NamesFields) ? typeof(ValidationProblemJson) : typeof(ProblemJson), strict: false) },
            };
            responses[problem.Key] = response;
        }
        operation["responses"] = new JsonObject(responses.Select(r => KeyValuePair.Create(r.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)r.Value)));
        return operation;
    }

    private static JsonObject Response(string description, IEnumerable<string> headers)
    {
        var response = new JsonObject { ["description"] = description };
        var names = headers.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Count > 0)
            response["headers"] = new JsonObject(names.Select(h => KeyValuePair.Create(h, (JsonNode?)new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } })));
        return response;
    }

    /// <summary>Component schemas, one per type, exported by System.Text.Json. A strict schema (answers) requires every
    /// property, since the app's options write every one (null included), and allows no other; a lenient one (request
    /// bodies, problems) requires what the type's constructor requires and lets more through.</summary>
    private sealed class Schemas
    {
        public JsonObject Components { get; } = new();
        private readonly Dictionary<string, (Type Type, bool Strict)> _named = new(StringComparer.Ordinal);

        /// <summary>Numbers are written as numbers (reading them from strings, as the web defaults allow, is no promise
        /// of ours); nullability follows the code's annotations.</summary>
        private static JsonSerializerOptions Options(bool strict)
        {
            var options = new JsonSerializerOptions(GivingDayJson.Options)
            {
                NumberHandling = JsonNumberHandling.Strict,
                RespectNullableAnnotations = true,
                RespectRequiredConstructorParameters = !strict,
            };
            options.MakeReadOnly(populateMissingResolver: true);
            return options;
        }

        private static readonly JsonSerializerOptions StrictOptions = Options(strict: true);
        private static readonly JsonSerializerOptions LenientOptions = Options(strict: false);

        /// <summary>Types whose JSON comes from a converter of ours, which the exporter cannot see into.</summary>
        private static readonly Dictionary<Type, Func<JsonObject>> Converted = new()
        {
            [typeof(Ratio)] = () => new JsonObject { ["type"] = "number", ["exclusiveMinimum"] = 0, ["maximum"] = 100, ["description"] = "at most four decimals" },
            [typeof(Money)] = () => new JsonObject { ["type"] = "integer", ["description"] = "fen" },
            [typeof(object)] = () => new JsonObject { ["type"] = "object" },
        };

        public JsonObject Inline(Type type) => Export(type, strict: true);

        /// <summary>A $ref to the type's component (a list: an array of them); plain values inline.</summary>
        public JsonObject Of(Type type, bool strict)
        {
            if (type == typeof(string) || type.IsPrimitive || Converted.ContainsKey(type)) return Export(type, strict);
            var element = type.IsArray ? type.GetElementType() : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
            if (element is not null && !typeof(System.Collections.IDictionary).IsAssignableFrom(type))
                return new JsonObject { ["type"] = "array", ["items"] = Of(element, strict) };

            var name = type.GetCustomAttribute<DisplayNameAttribute>()?.DisplayName ?? (type.IsNested ? type.DeclaringType!.Name + type.Name : type.Name);
            if (_named.TryGetValue(name, out var known))
            {
                if (known != (type, strict)) throw new InvalidOperationException($"Two schemas would be named {name}: {known.Type} and {type}, strict {known.Strict} and {strict}");
            }
            else
            {
                _named[name] = (type, strict);
                Components[name] = Export(type, strict);
            }
            return new JsonObject { ["$ref"] = $"#/components/schemas/{name}" };
        }

        /// <summary>The exporter points a type's second use at its first with a $ref relative to the schema's own root
        /// ("#/properties/errors/additionalProperties"), which means nothing once the schema sits under components:
        /// such a $ref is replaced by a copy of what it points at.</summary>
        private static JsonObject Inlined(JsonObject root)
        {
            JsonNode? Target(string pointer) => pointer.Split('/').Skip(1)
                .Aggregate((JsonNode?)root, (node, step) => node?[step.Replace("~1", "/").Replace("~0", "~")]);
            void Walk(JsonNode? node)
            {
                if (node is JsonObject o)
                {
                    if (o["$ref"] is JsonValue r && r.GetValue<string>() is var target && target.StartsWith("#/", StringComparison.Ordinal))
                    {
                        var copy = Target(target)?.DeepClone() as JsonObject ?? throw new InvalidOperationException($"schema $ref {target} points nowhere");
                        o.Remove("$ref");
                        foreach (var (key, value) in copy) o[key] = value?.DeepClone();
                    }
                    foreach (var (_, child) in o.ToList()) Walk(child);
                }
                else if (node is JsonArray a) foreach (var child in a.ToList()) Walk(child);
            }
            Walk(root);
            return root;
        }

        private static JsonObject Export(Type type, bool strict)
        {
            var schema = JsonSchemaExporter.GetJsonSchemaAsNode(strict ? StrictOptions : LenientOptions, type, new JsonSchemaExporterOptions
            {
                TreatNullObliviousAsNonNullable = true,
                TransformSchemaNode = (context, node) => Transform(context, node, strict),
            });
            return Inlined(schema as JsonObject ?? throw new InvalidOperationException($"{type}: no schema object"));
        }

        private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode node, bool strict)
        {
            var type = context.TypeInfo.Type;
            if (Converted.TryGetValue(Nullable.GetUnderlyingType(type) ?? type, out var converted))
            {
                var replaced = converted();
                if (Nullable.GetUnderlyingType(type) is not null) replaced["type"] = new JsonArray(replaced["type"]!.GetValue<string>(), "null");
                node = replaced;
            }
            // A JsonNode or JsonElement property (the dry run's from and to) exports as the schema `true`, which OpenAPI
            // readers do not take as a property's schema: say "any JSON value" as an object.
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.True)
                node = new JsonObject { ["description"] = "Any JSON value." };
            if (node is not JsonObject schema) return node;
            if (context.PropertyInfo is { } property)
            {
                var attributes = (property.AttributeProvider?.GetCustomAttributes(true) ?? [])
                    .Concat(property.AssociatedParameter?.AttributeProvider?.GetCustomAttributes(true) ?? []);
                foreach (var attribute in attributes)
                    switch (attribute)
                    {
                        case DescriptionAttribute d: schema["description"] = d.Description; break;
                        case MaxLengthAttribute m: schema["maxLength"] = m.Length; break;
                        case RangeAttribute r: schema["minimum"] = Number(r.Minimum); schema["maximum"] = Number(r.Maximum); break;
                        case RegularExpressionAttribute r: schema["pattern"] = r.Pattern; break;
                    }
            }
            if (strict && schema["properties"] is JsonObject properties && context.TypeInfo.Kind == JsonTypeInfoKind.Object)
            {
                schema["required"] = new JsonArray(properties.Select(p => (JsonNode)p.Key).ToArray());
                schema["additionalProperties"] = false;
            }
            return schema;
        }
    }

    /// <summary>A [Range] bound (boxed int or double) as a JSON number.</summary>
    private static JsonNode Number(object bound) =>
        bound is int i ? JsonValue.Create(i) : JsonValue.Create(Convert.ToDouble(bound, System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>RFC 9457 problem details, as <see cref="Problems"/> writes them (an extensible object).</summary>
[DisplayName("Problem")]
public sealed record ProblemJson(
    string Title,
    int Status,
    string Detail,
    [property: Description("Stable code of the problem (docs/api.md lists them); the texts follow Accept-Language, the codes do not.")] string Code,
    [property: Description("Field → stable codes, beside errors, with the same keys.")] IReadOnlyDictionary<string, string[]>? Codes = null,
    [property: Description("A URI naming the kind of problem (set for the common statuses).")] string? Type = null,
    [property: Description("Field (dotted path, or the header or parameter) → what is wrong with it.")] IReadOnlyDictionary<string, string[]>? Errors = null,
    [property: Description("On a 500: the id to quote.")] string? TraceId = null);

/// <summary>A problem whose <c>errors</c> names each bad field.</summary>
[DisplayName("ValidationProblem")]
public sealed record ValidationProblemJson(
    string Title,
    int Status,
    string Detail,
    [property: Description("Stable code of the problem (docs/api.md lists them).")] string Code,
    [property: Description("Field (dotted path, or the header or parameter) → what is wrong with it, in the request's language.")] IReadOnlyDictionary<string, string[]> Errors,
    [property: Description("Field → stable codes (e.g. amount.out_of_range), with the same keys as errors.")] IReadOnlyDictionary<string, string[]> Codes,
    string? Type = null);
