using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using GivingDay.Functions;

namespace GivingDay.StandaloneHost;

/// <summary>Every HTTP function becomes an endpoint with its route and methods, under host.json's route prefix. The
/// function class comes from DI per request, as the worker creates it per invocation; it receives the HttpRequest, its
/// route values as string parameters and the request's cancellation token, and its IResult answers.</summary>
public static class HttpFunctions
{
    public static WebApplication MapHttpFunctions(this WebApplication app, IReadOnlyList<HttpFunction> functions, string routePrefix)
    {
        foreach (var function in functions)
        {
            var invoke = Invoker(function);
            var route = string.IsNullOrEmpty(routePrefix) ? $"/{function.Route}" : $"/{routePrefix}/{function.Route}";
            app.MapMethods(route, function.Methods, async context =>
            {
                var result = await invoke(context);
                await result.ExecuteAsync(context);
            }).WithName(function.Name);
        }
        return app;
    }

    /// <summary>Checked once at start: a signature the standalone host cannot call fails the start, naming the function.</summary>
    private static Func<HttpContext, Task<IResult>> Invoker(HttpFunction function)
    {
        var method = function.Method;
        var parameters = method.GetParameters();
        var binders = parameters.Select(p => Binder(function, p)).ToArray();
        var unwrap = ResultOf(function, method.ReturnType);
        return async context =>
        {
            var target = method.IsStatic ? null : context.RequestServices.GetRequiredService(method.DeclaringType!);
            var args = new object?[binders.Length];
            for (var i = 0; i < binders.Length; i++) args[i] = binders[i](context);
            object? returned;
            try { returned = method.Invoke(target, args); }
            catch (TargetInvocationException e) when (e.InnerException is not null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException); throw; }
            return await unwrap(returned);
        };
    }

    private static Func<HttpContext, object?> Binder(HttpFunction function, ParameterInfo p)
    {
        if (p.GetCustomAttribute<HttpTriggerAttribute>() is not null)
            return p.ParameterType == typeof(HttpRequest) ? c => c.Request
                : throw Unsupported(function, $"its trigger parameter is {p.ParameterType.Name}; use HttpRequest");
        if (p.ParameterType == typeof(CancellationToken)) return c => c.RequestAborted;
        if (p.ParameterType == typeof(string)) return c => c.Request.RouteValues.TryGetValue(p.Name!, out var v) ? v?.ToString() : null;
        throw Unsupported(function, $"parameter '{p.Name}' ({p.ParameterType.Name}) is neither the trigger, a route value nor a CancellationToken");
    }

    private static Func<object?, Task<IResult>> ResultOf(HttpFunction function, Type returnType)
    {
        if (typeof(IResult).IsAssignableFrom(returnType)) return r => Task.FromResult((IResult)r!);
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>) && typeof(IResult).IsAssignableFrom(returnType.GetGenericArguments()[0]))
        {
            var result = returnType.GetProperty(nameof(Task<object>.Result))!;
            return async r => { var task = (Task)r!; await task; return (IResult)result.GetValue(task)!; };
        }
        throw Unsupported(function, $"it returns {returnType.Name}; return IResult or Task<IResult>");
    }

    private static NotSupportedException Unsupported(HttpFunction function, string why) =>
        new($"The standalone host cannot call HTTP function {function.Name}: {why}.");
}
