using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GivingDay.Functions.Http;

/// <summary>Per-client rate limit on pledge intake: RateLimit:PerClientPerSecond (default 20, 0 = off), a token bucket per
/// client address. Asked inside the pledge function, so both hosts limit alike.</summary>
public sealed class PledgeRateLimit : IDisposable
{
    public int PerSecond { get; }
    private readonly PartitionedRateLimiter<string>? _limiter;

    public PledgeRateLimit(IOptions<RateLimitOptions> options)
    {
        PerSecond = options.Value.PerClientPerSecond;
        if (PerSecond == 0) return;
        _limiter = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = PerSecond,
            TokensPerPeriod = PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>A 429 problem (with Retry-After) when this client is over its limit; null when the pledge may proceed.</summary>
    public Problem? Reject(HttpRequest request)
    {
        if (_limiter is null) return null;
        using var lease = _limiter.AttemptAcquire(ClientAddress.Of(request.HttpContext));
        if (lease.IsAcquired) return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        request.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString();
        return Problems.Of(StatusCodes.Status429TooManyRequests, "rate.limited", PerSecond, retryAfter);
    }

    public void Dispose() => _limiter?.Dispose();
}
