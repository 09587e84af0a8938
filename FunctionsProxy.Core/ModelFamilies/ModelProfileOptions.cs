using System.Globalization;
using System.Text.Json;
using FunctionsProxy.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Profile rules from <c>MODEL_PROFILES</c>: a JSON object of pattern → profile fields, e.g.
/// <c>{"*my-kimi*":{"base":"kimi-k2","send_reasoning_back":false},"org/custom":{"thinking":"reasoning_effort","max_reasoning_effort":"max"}}</c>.
/// A rule starts from the built-in profile named by <c>base</c>, else the built-in with the same pattern, else the
/// default. Field names: snake_case or camelCase of <see cref="ModelProfile"/>'s properties; <c>thinking</c> is one of
/// none, enable_thinking, thinking, reasoning_effort, model_suffix.
/// </summary>
public sealed class ModelProfileOptions
{
    public List<ModelProfileRule> Rules { get; } = [];

    internal List<string> Errors { get; } = [];

    /// <summary>Parses the <c>MODEL_PROFILES</c> value; problems are added to <paramref name="errors"/> naming the variable.</summary>
    public static List<ModelProfileRule> Parse(string json, List<string> errors)
        => PatternObjectSetting.Parse(SettingNames.ModelProfiles, json,
            "a JSON object of model-id pattern → profile fields, e.g. {\"*kimi-k2*\":{\"send_reasoning_back\":true}}", "pattern",
            pattern => $"{SettingNames.ModelProfiles}: the value for \"{pattern}\" must be an object of profile fields.",
            (pattern, fields) => ParseProfile(pattern, fields, errors) is { } profile ? new ModelProfileRule(pattern, profile) : null, errors);

    private static ModelProfile? ParseProfile(string pattern, JsonElement fields, List<string> errors)
    {
        var where = $"{SettingNames.ModelProfiles} \"{pattern}\"";
        var profile = ModelProfileTable.BuiltInByPattern(pattern) ?? ModelProfile.Default;
        if (fields.TryGetProperty("base"u8, out var b))
        {
            if (b.ValueKind != JsonValueKind.String || ModelProfileTable.BuiltInByName(b.GetString()!) is not { } basis)
            {
                errors.Add($"{where}: base must name a built-in profile (default, kimi-k2, kimi-k2-thinking, deepseek, deepseek-r1, qwen3, qwen3-coder, glm-4.5, glm-4.6, gpt-oss).");
                return null;
            }
            profile = basis;
        }
        profile = profile with { Name = pattern };
        var before = errors.Count;
        foreach (var f in fields.EnumerateObject())
        {
            var v = f.Value;
            switch (f.Name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant())
            {
                case "base": break;
                case "name": profile = profile with { Name = Str(v, f.Name) ?? profile.Name }; break;
                case "thinking":
                    var s = Str(v, f.Name)?.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
                    ThinkingSwitch? sw = s switch
                    {
                        "none" => ThinkingSwitch.None,
                        "enablethinking" or "enablethinkingkwarg" => ThinkingSwitch.EnableThinkingKwarg,
                        "thinking" or "thinkingkwarg" => ThinkingSwitch.ThinkingKwarg,
                        "reasoningeffort" => ThinkingSwitch.ReasoningEffort,
                        "modelsuffix" => ThinkingSwitch.ModelSuffix,
                        _ => null,
                    };
                    if (sw is null) errors.Add($"{where}: thinking must be one of none, enable_thinking, thinking, reasoning_effort, model_suffix.");
                    else profile = profile with { Thinking = sw.Value };
                    break;
                case "sendreasoningback": profile = profile with { SendReasoningBack = Bool(v, f.Name) ?? profile.SendReasoningBack }; break;
                case "allowstopk": profile = profile with { AllowsTopK = Bool(v, f.Name) ?? profile.AllowsTopK }; break;
                case "emptystringtoolcontent": profile = profile with { EmptyStringToolContent = Bool(v, f.Name) ?? profile.EmptyStringToolContent }; break;
                case "parsethinktags": profile = profile with { ParseThinkTags = Bool(v, f.Name) ?? profile.ParseThinkTags }; break;
                case "parsetoolmarkup": profile = profile with { ParseToolMarkup = Bool(v, f.Name) ?? profile.ParseToolMarkup }; break;
                case "maxreasoningeffort": profile = profile with { MaxReasoningEffort = Effort(v, f.Name, allowNull: false) ?? profile.MaxReasoningEffort }; break;
                case "disabledreasoningeffort": profile = profile with { DisabledReasoningEffort = Effort(v, f.Name, allowNull: true) }; break;
                case "thinkingmodelsuffix": profile = profile with { ThinkingModelSuffix = Str(v, f.Name) ?? profile.ThinkingModelSuffix }; break;
                case "orphanthinkclosewindow":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0) profile = profile with { OrphanThinkCloseWindow = n };
                    else errors.Add($"{where}: {f.Name} must be a non-negative integer.");
                    break;
                case "orphanthinkcloseseconds":
                    if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var secs) && secs >= 0 && secs <= 3600) profile = profile with { OrphanThinkCloseTime = TimeSpan.FromSeconds(secs) };
                    else errors.Add($"{where}: {f.Name} must be a number of seconds from 0 to 3600.");
                    break;
                default:
                    errors.Add($"{where}: unknown field \"{f.Name}\".");
                    break;
            }
        }
        return errors.Count == before ? profile : null;

        string? Str(JsonElement v, string field)
        {
            if (v.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(v.GetString())) return v.GetString();
            errors.Add($"{where}: {field} must be a non-empty string.");
            return null;
        }

        bool? Bool(JsonElement v, string field)
        {
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
            errors.Add($"{where}: {field} must be true or false.");
            return null;
        }

        string? Effort(JsonElement v, string field, bool allowNull)
        {
            if (allowNull && v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } e && !e.Any(char.IsWhiteSpace)) return e.ToLower(CultureInfo.InvariantCulture);
            errors.Add($"{where}: {field} must be an effort name such as low, medium, high{(allowNull ? " (or null)" : "")}.");
            return null;
        }
    }
}

internal sealed class ModelProfileOptionsSetup(IConfiguration configuration) : IConfigureOptions<ModelProfileOptions>
{
    public void Configure(ModelProfileOptions options)
    {
        var value = configuration[SettingNames.ModelProfiles];
        if (string.IsNullOrWhiteSpace(value)) return;
        options.Rules.AddRange(ModelProfileOptions.Parse(value, options.Errors));
    }
}

/// <summary>Refuses to start on a bad <c>MODEL_PROFILES</c>, naming it.</summary>
internal sealed class ModelProfileOptionsValidator : IValidateOptions<ModelProfileOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelProfileOptions options)
        => options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
}
