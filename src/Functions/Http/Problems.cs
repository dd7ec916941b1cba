using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace GivingDay.Functions.Http;

/// <summary>The one problem+json factory (RFC 9457): status, title, detail, a stable top-level <c>code</c>, and for field
/// errors <c>errors</c> (field → messages) with <c>codes</c> (field → codes, the same keys). Texts come from
/// <see cref="ErrorCatalogue"/> in the request's language, chosen when the answer is written.</summary>
public static class Problems
{
    public static Problem Invalid(ValidationErrors errors, string code = "request.invalid") => new(400, code, [], errors);

    /// <summary>A problem about one field (a header, a query parameter, the body's type), named in <c>errors</c>.</summary>
    public static Problem Field(int status, string code, string field, string fieldCode, params object?[] args)
    {
        var errors = new ValidationErrors();
        errors.Add(field, fieldCode, args);
        return new Problem(status, code, args, errors, detailFromField: true);
    }

    public static Problem Of(int status, string code, params object?[] args) => new(status, code, args, null);

    public static Problem NotFound(string code, params object?[] args) => Of(StatusCodes.Status404NotFound, code, args);

    public static Problem CampaignNotFound(string campaignId) => NotFound("campaign.not_found", campaignId);

    /// <summary>415 unless the body is declared as one of <paramref name="accepted"/> (a charset parameter is fine). A
    /// body sent as text/plain is what a cross-site form can post, so it is refused before it is read.</summary>
    public static Problem? UnlessBodyIs(HttpRequest request, params string[] accepted)
    {
        var declared = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type.MediaType.Value : null;
        if (declared is not null && accepted.Contains(declared, StringComparer.OrdinalIgnoreCase)) return null;
        return Field(StatusCodes.Status415UnsupportedMediaType, "contentType.unsupported", "Content-Type", "contentType.unsupported", string.Join(" / ", accepted));
    }

    /// <summary>A failure nobody planned for: 500 with a trace id to quote, and nothing of the exception (its text can
    /// carry storage addresses or data). Both hosts answer with this: the standalone host's exception handler and the
    /// worker's middleware.</summary>
    public static Problem Unexpected(HttpContext context) => new(StatusCodes.Status500InternalServerError, "internal.unexpected", [], null)
    {
        TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier,
    };

    /// <summary>The answer's language from <c>Accept-Language</c>: Chinese unless English is preferred over it (q-values
    /// honoured, ties to the earlier); Chinese when absent or when neither is asked for.</summary>
    public static Language LanguageOf(HttpRequest request)
    {
        if (!StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptLanguage, out var ranges)) return Language.Zh;
        foreach (var range in ranges.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Quality ?? 1).ThenBy(x => x.i).Select(x => x.r))
        {
            if (range.Quality == 0) continue;
            var tag = range.Value.Value ?? "";
            if (tag.Equals("zh", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("zh-", StringComparison.OrdinalIgnoreCase)) return Language.Zh;
            if (tag.Equals("en", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("en-", StringComparison.OrdinalIgnoreCase)) return Language.En;
        }
        return Language.Zh;
    }
}

/// <summary>A problem+json answer whose texts are chosen, in the request's language, when it is written.</summary>
public sealed class Problem(int status, string code, object?[] args, ValidationErrors? errors, bool detailFromField = false) : IResult, IStatusCodeHttpResult
{
    public int StatusCode => status;
    int? IStatusCodeHttpResult.StatusCode => status;
    public string Code => code;
    public ValidationErrors? Errors => errors;
    public string? TraceId { get; init; }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var language = Problems.LanguageOf(httpContext.Request);
        var (title, detail) = ErrorCatalogue.Request(code, language, args);
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (errors is not null)
        {
            var messages = errors.ToDictionary(language);
            extensions["errors"] = messages;
            extensions["codes"] = errors.Codes();
            if (detailFromField) detail = messages.Values.First()[0];
        }
        if (TraceId is not null) extensions["traceId"] = TraceId;
        httpContext.Response.Headers.ContentLanguage = language == Language.En ? "en" : "zh-CN";
        httpContext.Response.Headers.Append(HeaderNames.Vary, HeaderNames.AcceptLanguage);
        return TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions).ExecuteAsync(httpContext);
    }
}
