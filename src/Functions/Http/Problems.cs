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
}
