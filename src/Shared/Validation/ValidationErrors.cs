namespace GivingDay.Validation;

/// <summary>One error of a field: a stable code (<see cref="ErrorCatalogue"/>) and what its message shows.</summary>
public sealed record FieldError(string Code, IReadOnlyList<object?> Args);

/// <summary>Field name → errors, as problem+json's <c>errors</c> (messages, in the request's language) and <c>codes</c>
/// (stable codes, same keys) carry them.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<FieldError>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    /// <summary>How many fields have errors.</summary>
    public int Count => _errors.Count;

    public IEnumerable<string> Fields => _errors.Keys;

    public void Add(string field, string code, params object?[] args)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(new FieldError(code, args));
    }

    /// <summary>Another set's errors, each field renamed (an offline file's row errors, for one).</summary>
    public void AddAll(ValidationErrors other, Func<string, string> rename)
    {
        foreach (var (field, list) in other._errors)
            foreach (var e in list) Add(rename(field), e.Code, [.. e.Args]);
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    /// <summary>Field → messages in <paramref name="language"/>.</summary>
    public IDictionary<string, string[]> ToDictionary(Language language = Language.Zh) =>
        _errors.ToDictionary(e => e.Key, e => e.Value.Select(f => ErrorCatalogue.Message(f.Code, language, f.Args)).ToArray(), StringComparer.Ordinal);

    /// <summary>Field → codes, the same keys as the messages.</summary>
    public IDictionary<string, string[]> Codes() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.Select(f => f.Code).ToArray(), StringComparer.Ordinal);
}
