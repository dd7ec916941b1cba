using GivingDay.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GivingDay.Functions.Http;

/// <summary>The one problem+json factory (RFC 9457): status, title, detail, and for field errors an
/// <c>errors</c> object keyed by field name.</summary>
public static class Problems
{
    public static ProblemHttpResult Invalid(ValidationErrors errors, string detail = "One or more fields are invalid.") =>
        Of(StatusCodes.Status400BadRequest, "Invalid request", detail, errors.ToDictionary());

    public static ProblemHttpResult Field(int status, string title, string field, string message) =>
        Of(status, title, message, new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult Of(int status, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors };
        return TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);
    }

    public static ProblemHttpResult NotFound(string what) => Of(StatusCodes.Status404NotFound, "Not found", what);

    /// <summary>415 unless the body is declared as one of <paramref name="accepted"/> (a charset parameter is fine). A
    /// body sent as text/plain is what a cross-site form can post, so it is refused before it is read.</summary>
    public static ProblemHttpResult? UnlessBodyIs(HttpRequest request, params string[] accepted)
    {
        var declared = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type.MediaType.Value : null;
        if (declared is not null && accepted.Contains(declared, StringComparer.OrdinalIgnoreCase)) return null;
        return Field(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type",
            $"must be {string.Join(" or ", accepted)}{(declared is null ? "" : $", not {declared}")}");
    }

    /// <summary>A failure nobody planned for: 500 with a trace id to quote, and nothing of the exception (its text can
    /// carry storage addresses or data). Both hosts answer with this: the standalone host's exception handler and the
    /// worker's middleware.</summary>
    public static ProblemHttpResult Unexpected(HttpContext context)
    {
        var traceId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        return TypedResults.Problem("The request could not be completed. Quote the trace id if you report it.",
            statusCode: StatusCodes.Status500InternalServerError, title: "Unexpected error",
            extensions: new Dictionary<string, object?> { ["traceId"] = traceId });
    }
}
