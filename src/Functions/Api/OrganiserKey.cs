using System.Security.Cryptography;
using System.Text;

namespace GivingDay.Functions.Api;

/// <summary>Every organiser route needs <c>Authorization: Bearer {Organiser:ApiKey}</c>; without a configured
/// key no request passes. Compared in constant time.</summary>
public sealed class OrganiserKey(IConfiguration configuration) : IEndpointFilter
{
    private readonly byte[]? _key = configuration["Organiser:ApiKey"] is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
        if (_key is null || !CryptographicOperations.FixedTimeEquals(given, _key))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "An organiser key is required: Authorization: Bearer <key>.");
        }
        return await next(context);
    }
}
