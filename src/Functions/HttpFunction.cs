using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Functions;

/// <summary>An HTTP-triggered function: its name, method, route (without the route prefix) and HTTP methods, read from
/// its <c>[Function]</c> and <c>[HttpTrigger]</c> attributes, the same the Worker SDK turns into functions.metadata.
/// The standalone host maps these; the OpenAPI document describes them.</summary>
public sealed record HttpFunction(string Name, MethodInfo Method, string Route, IReadOnlyList<string> Methods)
{
    public static IReadOnlyList<HttpFunction> In(Assembly assembly) => assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false })
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>(),
            Trigger: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
        .Where(m => m is { Function: not null, Trigger: not null })
        .Select(m => new HttpFunction(m.Function!.Name, m.Method, m.Trigger!.Route ?? m.Function.Name,
            m.Trigger.Methods?.Select(v => v.ToUpperInvariant()).ToList() ?? ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .ToList();
}
