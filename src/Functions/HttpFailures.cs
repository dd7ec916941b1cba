using GivingDay.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace GivingDay.Functions;

/// <summary>In the worker, an HTTP function that throws answers 500 problem+json with a trace id (the standalone host's
/// exception handler answers the same); other triggers fail as they should, so their messages are retried.</summary>
public sealed class HttpFailures(ILogger<HttpFailures> log) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.GetHttpContext() is { } http)
        {
            log.LogError(e, "{Function} failed", context.FunctionDefinition.Name);
            context.GetInvocationResult().Value = Problems.Unexpected(http);
        }
    }
}
