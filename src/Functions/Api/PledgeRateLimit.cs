using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace GivingDay.Functions.Api;

/// <summary>Per-client rate limit on pledge intake: RateLimit:PerClientPerSecond (default 20, 0 = off).</summary>
public static class PledgeRateLimit
{
    public const string Policy = "pledges";

    /// <summary>Read once, when the app's configuration is complete.</summary>
    public sealed class Settings
    {
        public int PerSecond { get; }

        public Settings(IConfiguration configuration)
        {
            PerSecond = configuration.GetValue("RateLimit:PerClientPerSecond", 20);
            if (PerSecond < 0) throw new InvalidOperationException("RateLimit:PerClientPerSecond must be 0 (off) or more");
        }
    }

    public static IServiceCollection AddPledgeRateLimit(this IServiceCollection services)
    {
        services.AddSingleton<ClientAddress>();
        services.AddSingleton<Settings>();
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(Policy, context =>
            {
                var perSecond = context.RequestServices.GetRequiredService<Settings>().PerSecond;
                if (perSecond == 0) return RateLimitPartition.GetNoLimiter("off");
                var client = context.RequestServices.GetRequiredService<ClientAddress>().Of(context);
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perSecond,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (context, ct) =>
            {
                var perSecond = context.HttpContext.RequestServices.GetRequiredService<Settings>().PerSecond;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString();
                await Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"This client sent more than {perSecond} pledges in a second; retry after {retryAfter} s.").ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }
}
