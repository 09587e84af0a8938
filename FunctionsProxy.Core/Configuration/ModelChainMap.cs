using System.Text.Json;

namespace FunctionsProxy.Configuration;

/// <summary>
/// <c>MODEL_MAP</c> values: a backend model id, or an ordered list of them (a fallback chain: the first serves, the
/// next ones answer when it fails before any output). Also the parser for the same shape in <c>MODEL_ROUTES</c>.
/// </summary>
internal static class ModelChainMap
{
    /// <summary>Reads <c>{"key": "id" | ["id", …]}</c>. Problems are added to <paramref name="errors"/> naming
    /// <paramref name="name"/>; null when the value is absent or unusable.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>>? Parse(string? json, string name, List<string> errors)
    {
        if (json is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{name} must be a JSON object, e.g. {{\"sonnet\":\"org/model\"}} or {{\"opus\":[\"org/first\",\"org/second\"]}}.");
                return null;
            }
            var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (Chain(p.Value, $"{name}: the value for \"{p.Name}\"", errors) is { } chain) map[p.Name] = chain;
            }
            return map;
        }
        catch (JsonException e)
        {
            errors.Add($"{name} is not valid JSON ({e.Message}).");
            return null;
        }
    }

    /// <summary>One value: a non-empty string, or a non-empty array of distinct non-empty strings.</summary>
    public static IReadOnlyList<string>? Chain(JsonElement value, string what, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            if (string.IsNullOrWhiteSpace(value.GetString()))
            {
                errors.Add($"{what} must be a non-empty string.");
                return null;
            }
            return [value.GetString()!.Trim()];
        }
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add($"{what} must be a model id or a non-empty list of model ids.");
            return null;
        }
        var chain = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                errors.Add($"{what} must list model ids as non-empty strings.");
                return null;
            }
            var id = item.GetString()!.Trim();
            // A repeated id would only be retried right after it failed: almost certainly a typo for another model.
            if (chain.Contains(id, StringComparer.Ordinal))
            {
                errors.Add($"{what} lists \"{id}\" twice.");
                return null;
            }
            chain.Add(id);
        }
        return chain;
    }

    /// <summary>The first id of every chain: what a single-model view (<c>/v1/models</c>, older callers) reads.</summary>
    public static IReadOnlyDictionary<string, string> Primaries(IReadOnlyDictionary<string, IReadOnlyList<string>> chains)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, chain) in chains) map[key] = chain[0];
        return map;
    }
}
