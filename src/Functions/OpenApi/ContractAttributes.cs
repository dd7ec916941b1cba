namespace GivingDay.Functions.Http;

// What each HTTP function answers and reads, declared next to it and read by reflection into the OpenAPI document
// (OpenApi/ApiDocument.cs). Summaries are ASP.NET Core's [EndpointSummary]; path parameters come from the route.

/// <summary>A success answer: its status, what it means, and its body type (none for a bodiless answer such as 304).
/// Two answers with one status and media type are either body; another media type is another representation.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public class AnswerAttribute(int status, string description) : Attribute
{
    public int Status { get; } = status;
    public string Description { get; } = description;
    public virtual Type? Body => null;
    public string ContentType { get; init; } = "application/json";
    /// <summary>Response headers worth knowing (ETag, Location, Cache-Control...).</summary>
    public string[] Headers { get; init; } = [];
}

/// <inheritdoc cref="AnswerAttribute"/>
public sealed class AnswerAttribute<T>(int status, string description) : AnswerAttribute(status, description)
{
    public override Type Body => typeof(T);
}

/// <summary>A problem+json answer (RFC 9457) and when it is given. <see cref="NamesFields"/>: its <c>errors</c> object
/// names each bad field, always.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
public sealed class ProblemAttribute(int status, string description) : Attribute
{
    public int Status { get; } = status;
    public string Description { get; } = description;
    public bool NamesFields { get; init; }
    public string[] Headers { get; init; } = [];
}

/// <summary>The request body, of one media type; another attribute for another media type.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class BodyAttribute<T>(string description) : Attribute, IBodyAttribute
{
    public Type Body => typeof(T);
    public string Description { get; } = description;
    public string ContentType { get; init; } = "application/json";
}

public interface IBodyAttribute
{
    Type Body { get; }
    string Description { get; }
    string ContentType { get; }
}

/// <summary>A query parameter the function reads; <see cref="Allowed"/> lists its only values.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryAttribute<T>(string name, string description) : Attribute, IParameterAttribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
    public Type Type => typeof(T);
    public bool Required { get; init; }
    public string[] Allowed { get; init; } = [];
    string IParameterAttribute.In => "query";
}

/// <summary>A request header the function reads.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class HeaderAttribute(string name, string description) : Attribute, IParameterAttribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
    public Type Type => typeof(string);
    public bool Required { get; init; }
    public string[] Allowed => [];
    string IParameterAttribute.In => "header";
}

public interface IParameterAttribute
{
    string Name { get; }
    string Description { get; }
    Type Type { get; }
    bool Required { get; }
    string[] Allowed { get; }
    string In { get; }
}

/// <summary>On a function class: each of its functions asks for the organiser key (<see cref="OrganiserKey"/>) and
/// answers 401 without it.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresOrganiserKeyAttribute : Attribute;
