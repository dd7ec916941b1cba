using System.Reflection;
using GivingDay.Functions;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.StandaloneHost;

/// <summary>The function app's declarations, read from its <c>[Function]</c> methods and their trigger attributes:
/// the same attributes the Worker SDK turns into functions.metadata.</summary>
public sealed record FunctionClasses(IReadOnlyList<Type> Types, IReadOnlyList<HttpFunction> Http)
{
    public static FunctionClasses In(Assembly assembly)
    {
        var types = assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
            .ToList();
        return new FunctionClasses(types, HttpFunction.In(assembly));
    }
}
