using System.Text.Json;

namespace FunctionsProxy.Configuration;

/// <summary>
/// Reads a setting whose value is a JSON object of model-id pattern → JSON object of fields (<c>MODEL_PROFILES</c>,
/// <c>MODEL_PRICES</c>): the JSON, the object shape and the keys are checked here, each entry's fields by the caller.
/// Every problem becomes one line naming the setting; nothing throws.
/// </summary>
internal static class PatternObjectSetting
{
    /// <param name="setting">The variable's name, the start of every error line.</param>
    /// <param name="expected">What the whole value must be, e.g. "a JSON object of model-id pattern → profile fields".</param>
    /// <param name="key">What a key is called in errors ("pattern", "model id").</param>
    /// <param name="entryNotObject">The error for an entry whose value is not an object, given its key.</param>
    /// <param name="parseEntry">Parses one entry's fields; returns null after adding its own errors.</param>
    public static List<TRule> Parse<TRule>(string setting, string json, string expected, string key, Func<string, string> entryNotObject,
        Func<string, JsonElement, TRule?> parseEntry, List<string> errors) where TRule : class
    {
        var rules = new List<TRule>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            errors.Add($"{setting} is not valid JSON ({e.Message}).");
            return rules;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{setting} must be {expected}.");
                return rules;
            }
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (string.IsNullOrWhiteSpace(entry.Name))
                {
                    errors.Add($"{setting}: a {key} must not be empty.");
                    continue;
                }
                if (entry.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(entryNotObject(entry.Name));
                    continue;
                }
                if (parseEntry(entry.Name, entry.Value) is { } rule) rules.Add(rule);
            }
        }
        return rules;
    }
}
