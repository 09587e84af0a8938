using System.Text.Json;

namespace FunctionsProxy.Configuration;

/// <summary>
/// <c>MODEL_ROUTES</c>: models chosen by what a request needs, tried before the <c>MODEL_MAP</c> chain. A request whose
/// estimated input reaches <see cref="LongContextMinInputTokens"/> goes to <see cref="LongContext"/>; one that turns
/// thinking on goes to <see cref="Thinking"/>. Both may be chains.
/// </summary>
public sealed record ModelRoutes
{
    public static readonly ModelRoutes None = new();

    public IReadOnlyList<string>? LongContext { get; init; }
    public int LongContextMinInputTokens { get; init; }
    public IReadOnlyList<string>? Thinking { get; init; }

    public bool IsEmpty => LongContext is null && Thinking is null;

    /// <summary>Reads <c>{"long_context":{"min_input_tokens":N,"model":…},"thinking":{"model":…}}</c>; unknown keys are
    /// refused (a misspelt route would otherwise silently never apply).</summary>
    internal static ModelRoutes Parse(string? json, List<string> errors)
    {
        const string name = SettingNames.ModelRoutes;
        if (json is null) return None;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{name} must be a JSON object, e.g. {{\"long_context\":{{\"min_input_tokens\":60000,\"model\":\"org/model\"}},\"thinking\":{{\"model\":\"org/model\"}}}}.");
                return None;
            }
            var routes = None;
            foreach (var route in doc.RootElement.EnumerateObject())
            {
                if (route.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{name}: \"{route.Name}\" must be an object with a \"model\".");
                    continue;
                }
                switch (route.Name)
                {
                    case "long_context":
                        var minTokens = 0;
                        if (!route.Value.TryGetProperty("min_input_tokens"u8, out var min) || min.ValueKind != JsonValueKind.Number
                            || !min.TryGetInt32(out minTokens) || minTokens < 1)
                        {
                            errors.Add($"{name}: long_context.min_input_tokens must be a positive integer.");
                        }

                        routes = routes with { LongContext = Model(route, errors, "min_input_tokens"), LongContextMinInputTokens = minTokens };
                        break;
                    case "thinking":
                        routes = routes with { Thinking = Model(route, errors) };
                        break;
                    default:
                        errors.Add($"{name}: unknown route \"{route.Name}\"; the routes are long_context and thinking.");
                        break;
                }
            }
            return routes;
        }
        catch (JsonException e)
        {
            errors.Add($"{name} is not valid JSON ({e.Message}).");
            return None;
        }
    }

    private static IReadOnlyList<string>? Model(JsonProperty route, List<string> errors, string? otherKey = null)
    {
        foreach (var p in route.Value.EnumerateObject())
        {
            if (p.Name != "model" && p.Name != otherKey)
                errors.Add($"{SettingNames.ModelRoutes}: unknown key \"{route.Name}.{p.Name}\".");
        }

        if (!route.Value.TryGetProperty("model"u8, out var model))
        {
            errors.Add($"{SettingNames.ModelRoutes}: {route.Name}.model is required (a model id or a list of them).");
            return null;
        }
        return ModelChainMap.Chain(model, $"{SettingNames.ModelRoutes}: {route.Name}.model", errors);
    }
}
