using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.StandaloneHost;

/// <summary>The function app's declarations, read from its <c>[Function]</c> methods and their trigger attributes:
/// the same attributes the Worker SDK turns into functions.metadata.</summary>
public sealed record FunctionClasses(IReadOnlyList<Type> Types, IReadOnlyList<HttpFunction> Http)
{
    public static FunctionClasses In(Assembly assembly)
    {
        var methods = assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(m => m.Function is not null)
            .ToList();
        var http = methods
            .Select(m => (m.Method, m.Function, Trigger: m.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(m => m.Trigger is not null)
            .Select(m => new HttpFunction(m.Function!.Name, m.Method,
                m.Trigger!.Route ?? m.Function.Name,
                m.Trigger.Methods?.Select(v => v.ToUpperInvariant()).ToList() ?? ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return new FunctionClasses(methods.Select(m => m.Method.DeclaringType!).Distinct().ToList(), http);
    }
}

/// <summary>An HTTP-triggered function: its name, method, route (without the route prefix) and HTTP methods.</summary>
public sealed record HttpFunction(string Name, MethodInfo Method, string Route, IReadOnlyList<string> Methods);
