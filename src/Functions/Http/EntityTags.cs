using Microsoft.Net.Http.Headers;

namespace GivingDay.Functions.Http;

/// <summary>Conditional GETs: sets the answer's ETag and tells whether the client's If-None-Match already holds it
/// (weak comparison, and <c>*</c>), so the function can answer 304 with no body.</summary>
public static class EntityTags
{
    public static bool NotModified(HttpRequest request, string etag)
    {
        var tag = EntityTagHeaderValue.Parse(etag);
        request.HttpContext.Response.Headers.ETag = tag.ToString();
        return EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
            && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(tag, useStrongComparison: false));
    }
}
